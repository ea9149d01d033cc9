/**
 * A proposal that rewrites the trust list to add its author as a lead: the helper flags it as
 * CRITICAL, and verification keeps using the target branch's trust list, so the author's
 * self-made "lead" approval is refused. Real git repository, real operator keys.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalVerificationError, mintApproval, verifyApproval } from '../../../electron/services/approvals';
import { openDatabase } from '../../../electron/services/db/sqlite';
import {
  createSessionManager,
  openOperatorStore,
  passphraseProtector,
  serializeTrustList,
  type TrustList,
} from '../../../electron/services/identity';
import { defaultPolicyYaml, evaluateGate, governanceChanges, policyFromTarget, requirePolicy, trustListFromTarget } from '../../../electron/services/policy';

const FAST = passphraseProtector({ cost: { N: 2 ** 15, r: 8, p: 1 } });
const PASS = 'correct horse battery staple';
let dir: string;
let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, '-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org' },
  }).trim();
}

function readAt(ref: string): (path: string) => Promise<string | null> {
  return async (path) => {
    try {
      return git('show', `${ref}:${path}`);
    } catch {
      return null;
    }
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trust list changed inside a proposal', () => {
  it('is flagged CRITICAL, and the target branch trust list is the one used', async () => {
    const db = openDatabase({ file: join(dir, 'app.db') });
    const store = openOperatorStore(db);
    await store.create({ name: 'carol', role: 'lead', passphrase: PASS, protector: FAST });
    const mallory = await store.create({ name: 'mallory', role: 'reviewer', email: 'mallory@example.org', passphrase: PASS, protector: FAST });
    const workspaceList = store.exportTrustList();

    git('init', '-q', '-b', 'main');
    mkdirSync(join(repo, '.gatehouse'));
    writeFileSync(join(repo, '.gatehouse', 'trust.json'), serializeTrustList(workspaceList));
    writeFileSync(join(repo, '.gatehouse', 'policy.yaml'), defaultPolicyYaml());
    writeFileSync(join(repo, 'app.js'), 'module.exports = 1;\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');

    // The proposal promotes mallory to lead in its own copy of the trust list.
    git('checkout', '-q', '-b', 'proposals/promote');
    const promoted: TrustList = { ...workspaceList, operators: workspaceList.operators.map((o) => (o.name === 'mallory' ? { ...o, role: 'lead' } : o)) };
    writeFileSync(join(repo, '.gatehouse', 'trust.json'), serializeTrustList(promoted));
    writeFileSync(join(repo, 'app.js'), 'module.exports = 2;\n');
    git('commit', '-q', '-am', 'speed up app');
    const head = git('rev-parse', 'HEAD');
    const tree = git('rev-parse', 'HEAD^{tree}');
    const base = git('rev-parse', 'main');

    const changed = git('diff', '--name-only', `main...proposals/promote`).split('\n');
    const governance = governanceChanges(changed);
    expect(governance.risk).toBe('CRITICAL');
    expect(governance.reasons).toEqual(['changes the trust list (.gatehouse/trust.json)']);

    const { trustList, origin } = await trustListFromTarget({ readTargetFile: readAt('main') });
    expect(origin).toBe('target-branch');
    expect(trustList.operators.find((o) => o.name === 'mallory')?.role).toBe('reviewer');
    const policyResult = await policyFromTarget({ readTargetFile: readAt('main') });
    const policy = requirePolicy(policyResult);

    const sessions = createSessionManager({ store, clock: { now: () => new Date() }, protectors: [FAST] });
    const session = await sessions.unlock('mallory', PASS);
    const now = new Date();
    const revision = { base, head, tree };
    const { token } = mintApproval(
      session,
      { repository: 'repo', proposal: 'proposals/promote', revision, decision: 'approve', risk: 'CRITICAL', findingsDigest: `sha256:${'0'.repeat(64)}`, policyDigest: policyResult.digest ?? '', reason: 'lgtm' },
      { now },
    );
    // With the target branch list, mallory is a reviewer: a lead-only check refuses her...
    const refused = await verifyApproval(token, { trustList, audience: 'repo', expected: revision, now, requiredRole: 'lead' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApprovalVerificationError);
    expect((refused as ApprovalVerificationError).reason).toBe('role');
    // ... and the gate, at CRITICAL because of the change, does not count her as the lead it needs.
    const verified = await verifyApproval(token, { trustList, audience: 'repo', expected: revision, now });
    const result = evaluateGate({
      policy,
      repository: 'repo',
      revision,
      risk: 'LOW',
      changedPaths: changed,
      author: { email: 'mallory@example.org' },
      approvals: [verified],
      revocations: [],
      sandbox: { status: 'completed', passed: true },
      appliesInLastHour: 0,
      now,
    });
    expect(result.allowed).toBe(false);
    expect(result.risk).toBe('CRITICAL');
    expect(result.conditions.filter((c) => !c.met).map((c) => c.id)).toEqual(['approvals', 'author-not-approver']);
    expect(mallory.role).toBe('reviewer');
    db.close();
  });
});
