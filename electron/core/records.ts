/**
 * The record log as the core uses it: appending each decision, revocation and apply as a signed record,
 * sharing the log with the remote around decisions and applies, registering records that arrive from
 * other desks in the local approval store, counting applies for the rate limit from the signed apply
 * records, and serialising check-and-apply across data directories with a lock in the repository.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { verifyApproval, verifyRevocation, type ApprovalSigner } from '../services/approvals';
import { processAlive } from '../services/git/recover';
import { appendRecord, readRecordLog, remoteUrl, syncRecords, type RecordBody, type SyncResult } from '../services/records';
import { registerChangeRequest } from './comments';
import type { CoreContext } from './context';
import { governanceOf, type RepositoryHandle } from './repositories';

/** Appends a signed record to the repository's log and audits it. */
export async function appendRepositoryRecord(ctx: CoreContext, handle: RepositoryHandle, signer: ApprovalSigner, body: RecordBody): Promise<string> {
  const entry = await appendRecord(handle.repo, signer, { repository: handle.record.id, body });
  ctx.audit.record({ action: 'record.appended', subject: `repository:${handle.record.id}`, payload: { kind: body.kind, entry: entry.oid, jti: entry.claims.jti } });
  return entry.oid;
}

/**
 * Publishes this desk's latest signed audit head as a record next to the decisions, so a cut or re-forged
 * local audit log contradicts a head kept in the repository and on the remote. Best effort: audited on failure.
 */
export async function publishAuditHead(ctx: CoreContext, handle: RepositoryHandle, signer: ApprovalSigner): Promise<void> {
  try {
    const head = ctx.auditStore.currentSignedHead();
    if (head === null) return;
    await appendRecord(handle.repo, signer, {
      repository: handle.record.id,
      body: { kind: 'audit-head', auditHead: { seq: head.seq, hash: head.hash, at: head.ts, workstationKey: head.keyId, publicKey: head.publicKey, signature: head.signature } },
    });
  } catch (error) {
    ctx.logger.warn('could not publish the audit head to the records', error instanceof Error ? error.message : String(error));
  }
}

/** Applies recorded in the log whose signed time is within the last hour (every desk's applies count). */
export async function appliesInLastHourFromRecords(handle: RepositoryHandle, now: Date): Promise<number> {
  const log = await readRecordLog(handle.repo, { repository: handle.record.id });
  const since = Math.floor(now.getTime() / 1000) - 3600;
  return log.entries.filter((e) => e.claims.kind === 'apply' && e.claims.iat > since).length;
}

/** The repository's http(s) remote for records, or null when none is configured. */
export async function recordsRemote(handle: RepositoryHandle, remote?: string): Promise<string | null> {
  return remoteUrl(handle.repo, remote);
}

/**
 * Syncs the record log with the remote and registers what arrived (decisions, revocations and requests
 * for changes verified against the target branch's trust list; anything that does not verify is audited
 * and left out).
 */
export async function syncRepository(ctx: CoreContext, handle: RepositoryHandle, remote?: string): Promise<SyncResult & { readonly ingested: number }> {
  const url = await remoteUrl(handle.repo, remote);
  if (url === null) throw new GatehouseError(ErrorCode.NotFound, `repository ${handle.record.id} has no remote ${remote ?? 'origin'} to share records with`);
  let result: SyncResult;
  try {
    result = await syncRecords(handle.repo, { url, repository: handle.record.id });
  } catch (error) {
    ctx.audit.record({ action: 'records.sync-failed', subject: `repository:${handle.record.id}`, payload: { url, error: error instanceof Error ? error.message : String(error) } });
    throw error;
  }
  const ingested = await ingestRecords(ctx, handle, new Set(result.received));
  ctx.audit.record({
    action: 'records.synced',
    subject: `repository:${handle.record.id}`,
    payload: { url, before: result.before, after: result.after, pushed: result.pushed, received: result.received.length, ingested },
  });
  if (result.received.length > 0) ctx.events.emit('repo:changed', { repositoryId: handle.record.id, what: 'records arrived from the remote' });
  return { ...result, ingested };
}

async function ingestRecords(ctx: CoreContext, handle: RepositoryHandle, received: ReadonlySet<string>): Promise<number> {
  if (received.size === 0) return 0;
  const governance = await governanceOf(ctx, handle);
  if (governance.trustList === null) return 0;
  const log = await readRecordLog(handle.repo, { repository: handle.record.id });
  const now = ctx.clock.now();
  let ingested = 0;
  for (const entry of log.entries) {
    if (!received.has(entry.oid)) continue;
    try {
      if (entry.claims.kind === 'decision' || entry.claims.kind === 'change-request') {
        const { claims } = entry;
        const payload = JSON.parse(Buffer.from(claims.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { head?: string; tree?: string; base?: string; iat?: number };
        const verified = await verifyApproval(claims.token, {
          trustList: governance.trustList,
          audience: handle.record.id,
          expected: { head: String(payload.head), tree: String(payload.tree) },
          now: new Date(Math.max(now.getTime(), (payload.iat ?? 0) * 1000)),
          maxLifetimeHours: 168,
        }).catch(async () =>
          // Expired by now is still a decision that was made: register it as of when it was issued.
          verifyApproval(claims.token, {
            trustList: governance.trustList as NonNullable<typeof governance.trustList>,
            audience: handle.record.id,
            expected: { head: String(payload.head), tree: String(payload.tree) },
            now: new Date((payload.iat ?? 0) * 1000),
          }),
        );
        if (verified.signer.keyId !== entry.claims.iss) throw new GatehouseError(ErrorCode.VerificationFailed, 'the record and the decision it carries are signed by different keys');
        if (claims.kind === 'change-request') {
          // A request for changes is kept apart from approvals, so it can never count as one.
          if (registerChangeRequest(ctx.appDb, verified, claims.token, claims.comments)) ingested += 1;
        } else if (verified.claims.decision === 'request_changes') {
          throw new GatehouseError(ErrorCode.VerificationFailed, 'a request for changes must travel as a change-request record, not as a decision');
        } else if (!ctx.approvals.hasJti(verified.claims.jti)) {
          ctx.approvals.record(verified);
          ingested += 1;
        }
      } else if (entry.claims.kind === 'revocation') {
        const verified = await verifyRevocation(entry.claims.token, { trustList: governance.trustList, audience: handle.record.id, now });
        if (!ctx.approvals.hasJti(verified.claims.jti)) {
          ctx.approvals.recordRevocation(verified);
          ingested += 1;
        }
      }
    } catch (error) {
      ctx.audit.record({
        action: 'records.refused',
        subject: `repository:${handle.record.id}`,
        payload: { entry: entry.oid, kind: entry.claims.kind, error: error instanceof Error ? error.message : String(error) },
      });
    }
  }
  return ingested;
}

/** The lock file that serialises check-and-apply on one repository, whichever data directory applies. */
export function applyLockPath(handle: RepositoryHandle): string {
  return join(handle.repo.gitdir, 'gatehouse-apply.lock');
}

/**
 * Runs `work` holding the repository's apply lock (O_EXCL lock file with our pid). A lock left by a
 * process that no longer exists is taken over; a live holder is a Conflict.
 */
export async function withApplyLock<T>(handle: RepositoryHandle, work: () => Promise<T>): Promise<T> {
  const path = applyLockPath(handle);
  let fd: number | null = null;
  for (let attempt = 0; attempt < 2 && fd === null; attempt += 1) {
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new GatehouseError(ErrorCode.Conflict, `another apply to this repository is running (process ${holder})`);
      }
      rmSync(path, { force: true });
    }
  }
  if (fd === null) throw new GatehouseError(ErrorCode.Conflict, 'could not take the apply lock');
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
