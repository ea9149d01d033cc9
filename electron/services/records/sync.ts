/**
 * Sharing the record log with the repository's remote, so decisions, revocations and applies made at
 * one desk reach every other desk and every CI clone.
 *
 * Fetch the remote log, check its structure, refuse it if it does not contain the tip we saw there last
 * time (a remote whose log went backwards was rewound by someone who can push refs), then join it with
 * ours: fast-forward when one contains the other, else a merge entry. Push without force; when another
 * desk pushed in between, fetch and join again. Nothing is ever force-pushed over another's records.
 *
 * Transport: isomorphic-git's smart HTTP client (no native git runs), so remotes are http(s) URLs.
 */
import fs from 'node:fs';
import * as git from 'isomorphic-git';
import type { HttpClient } from 'isomorphic-git';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { resolveRefOrNull, updateRef } from '../git/refs';
import { deferredCaHttpsAgent } from './deferred-ca-certs';
import type { GitRepository } from '../git/repository';
import { isAncestor, readRecordLog, RECORDS_REF, RecordLogBrokenError, writeMergeEntry } from './log';

/** Where the last fetched remote tip is remembered (to notice a remote that went backwards). */
export const REMOTE_RECORDS_REF = 'refs/gatehouse/remote-records';

/** What a sync did. */
export interface SyncResult {
  readonly url: string;
  /** Local tip before and after. */
  readonly before: string | null;
  readonly after: string | null;
  /** Remote tip as fetched, and whether we pushed. */
  readonly remoteTip: string | null;
  readonly pushed: boolean;
  /** Records that arrived from the remote (entry oids). */
  readonly received: ReadonlyArray<string>;
}

/** The remote's URL: an explicit http(s) URL, or the URL of a configured remote (default origin). */
export async function remoteUrl(repo: GitRepository, remote?: string): Promise<string | null> {
  const name = remote ?? 'origin';
  const url = /^https?:\/\//.test(name)
    ? name
    : ((await git.getConfig({ fs, dir: repo.dir, gitdir: repo.gitdir, path: `remote.${name}.url` })) as string | undefined) ?? null;
  if (url === null) return null;
  if (!/^https?:\/\//.test(url)) {
    throw new GatehouseError(ErrorCode.InvalidInput, `remote ${name} is ${url}: Gatehouse shares records over http(s) only (smart HTTP, e.g. git http-backend)`);
  }
  return url;
}

/**
 * isomorphic-git's Node HTTP client, loaded on first use: it loads Node's `http` and `https` modules, which
 * cost every command that never syncs (the CI gate `gatehouse verify` among them) ~100 ms at start. In the
 * CLI started by its launcher, https requests go through an agent that trusts NODE_EXTRA_CA_CERTS, which
 * Node did not load at start (deferred-ca-certs.ts).
 */
async function httpClient(): Promise<HttpClient> {
  const [{ request }, agent] = await Promise.all([import('isomorphic-git/http/node'), deferredCaHttpsAgent()]);
  if (agent === undefined) return { request };
  return { request: (req) => request(req.url.startsWith('https:') ? { ...req, agent } : req) };
}

async function fetchRemoteTip(repo: GitRepository, url: string): Promise<string | null> {
  const http = await httpClient();
  const refs = await git.listServerRefs({ http, url, prefix: RECORDS_REF });
  const remote = refs.find((r) => r.ref === RECORDS_REF)?.oid ?? null;
  if (remote === null || repo.objects.exists(remote)) return remote;
  await git.fetch({ fs, http, dir: repo.dir, gitdir: repo.gitdir, url, ref: RECORDS_REF, remoteRef: RECORDS_REF, singleBranch: true, tags: false, cache: repo.cache });
  return remote;
}

async function push(repo: GitRepository, url: string): Promise<'ok' | 'rejected'> {
  const http = await httpClient();
  try {
    const result = await git.push({ fs, http, dir: repo.dir, gitdir: repo.gitdir, url, ref: RECORDS_REF, remoteRef: RECORDS_REF, force: false, cache: repo.cache });
    return result.ok ? 'ok' : 'rejected';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'PushRejectedError' || code === 'GitPushError') return 'rejected';
    throw error;
  }
}

/**
 * Fetches, checks, joins and pushes the record log. `repository` is the id every record must carry.
 * Throws {@link RecordLogBrokenError} for a malformed or rewound remote log (ours is left as it was).
 */
export async function syncRecords(repo: GitRepository, input: { readonly url: string; readonly repository: string; readonly attempts?: number }): Promise<SyncResult> {
  const before = await resolveRefOrNull(repo, RECORDS_REF);
  const received = new Set<string>();
  let remoteTip: string | null = null;
  for (let attempt = 0; attempt < (input.attempts ?? 5); attempt += 1) {
    remoteTip = await fetchRemoteTip(repo, input.url);
    const local = await resolveRefOrNull(repo, RECORDS_REF);
    if (remoteTip !== null) {
      const remoteLog = await readRecordLog(repo, { tip: remoteTip, repository: input.repository });
      const seenBefore = await resolveRefOrNull(repo, REMOTE_RECORDS_REF);
      if (seenBefore !== null && repo.objects.exists(seenBefore) && !(await isAncestor(repo, seenBefore, remoteTip))) {
        throw new RecordLogBrokenError(`the remote's record log went backwards: it no longer contains ${seenBefore}, which it held before (records were removed)`, remoteTip);
      }
      const localOids = new Set((local === null ? { entries: [] } : await readRecordLog(repo, { tip: local })).entries.map((e) => e.oid));
      for (const entry of remoteLog.entries) if (!localOids.has(entry.oid)) received.add(entry.oid);
      await updateRef(repo, REMOTE_RECORDS_REF, remoteTip, undefined, 'gatehouse sync: fetched');
    }
    let joined = local;
    if (remoteTip !== null && local === null) joined = remoteTip;
    else if (remoteTip !== null && local !== null && !(await isAncestor(repo, remoteTip, local))) {
      joined = (await isAncestor(repo, local, remoteTip)) ? remoteTip : writeMergeEntry(repo, [local, remoteTip]);
    }
    if (joined !== local && joined !== null) {
      await readRecordLog(repo, { tip: joined, repository: input.repository });
      await updateRef(repo, RECORDS_REF, joined, local, 'gatehouse sync: joined the remote records');
    }
    if (joined === null || joined === remoteTip) {
      return { url: input.url, before, after: joined, remoteTip, pushed: false, received: [...received] };
    }
    if ((await push(repo, input.url)) === 'ok') {
      await updateRef(repo, REMOTE_RECORDS_REF, joined, undefined, 'gatehouse sync: pushed');
      return { url: input.url, before, after: joined, remoteTip: joined, pushed: true, received: [...received] };
    }
    // Another desk pushed between our fetch and our push: fetch and join again.
  }
  throw new GatehouseError(ErrorCode.Conflict, `could not push the records to ${input.url}: the remote kept moving`);
}
