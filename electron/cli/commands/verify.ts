/**
 * `gatehouse verify --repo R REF`: the gate a CI pipeline can call. Exit 0 only if that commit carries
 * (in `refs/notes/gatehouse`) enough valid signed approvals under the target branch's own policy and
 * trust list; exit 1 with the unmet conditions otherwise.
 *
 * Approvals are checked as of when they were issued (an approval used for an apply may expire later
 * without making the applied commit unapproved); everything else is checked as at apply time.
 */
import type { Command } from 'commander';
import type { RiskLevel } from '../../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../../shared/model/result';
import { inspectApproval, type VerifiedApproval } from '../../services/approvals';
import { readBlobAtRef, readNote, GATEHOUSE_NOTES_REF } from '../../services/git';
import { resolveRefOrNull } from '../../services/git/refs';
import { parseTrustList } from '../../services/identity';
import { evaluateGate, loadPolicy, POLICY_PATH, TRUST_PATH } from '../../services/policy';
import { emit, EXIT_CHECK_FAILED } from '../io';
import { withCore } from '../core-session';

const RISK_ORDER: ReadonlyArray<RiskLevel> = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** Registers `gatehouse verify`. */
export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description("exit 0 only if REF was approved under the target branch's policy (a CI gate)")
    .requiredOption('--repo <id>', 'repository id')
    .argument('<ref>', 'a commit, branch or tag')
    .option('--json', 'JSON output')
    .action(async (ref: string, options: { repo: string; json?: boolean }, command: Command) => {
      const json = options.json === true;
      await withCore(command, async (core) => {
        const handle = await core.handles.get(options.repo);
        const repo = handle.repo;
        const oid = (await resolveRefOrNull(repo, ref)) ?? (/^[0-9a-f]{40}$/.test(ref) ? ref : null);
        if (oid === null) throw new GatehouseError(ErrorCode.NotFound, `no such ref or commit: ${ref}`);
        const commit = await repo.objects.readCommit(oid);
        const target = `refs/heads/${handle.record.targetBranch}`;
        const policyBlob = await readBlobAtRef(repo, target, POLICY_PATH);
        const trustBlob = await readBlobAtRef(repo, target, TRUST_PATH);
        const fail = (reason: string, extra: Record<string, unknown> = {}) => {
          emit(json, { ok: false, commit: oid, reason, ...extra }, () => `${oid}: NOT approved — ${reason}`);
          process.exitCode = EXIT_CHECK_FAILED;
        };
        if (policyBlob === null) return fail(`no ${POLICY_PATH} on ${handle.record.targetBranch} (deny by default)`);
        if (trustBlob === null) return fail(`no ${TRUST_PATH} on ${handle.record.targetBranch}: nobody's signature can be trusted`);
        const policy = loadPolicy({ text: policyBlob.content.toString('utf8') });
        if (!policy.ok) return fail('the target branch policy is invalid', { problems: policy.problems });
        const trustList = parseTrustList(trustBlob.content.toString('utf8'));

        // A merge Gatehouse made carries the approved head as its second parent.
        const candidates = [oid, ...commit.parents.slice(1)];
        for (const candidate of candidates) {
          const note = await readNote(repo, { ref: GATEHOUSE_NOTES_REF, oid: candidate });
          if (note === null) continue;
          const head = await repo.objects.readCommit(candidate);
          const verified: VerifiedApproval[] = [];
          const refused: string[] = [];
          for (const token of note.split('\n').map((l) => l.trim()).filter((l) => l.length > 0)) {
            try {
              const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: number };
              const issued = new Date((payload.iat ?? 0) * 1000);
              const approval = await inspectApproval(token, { trustList, now: issued, maxLifetimeHours: policy.policy.approvalLifetimeHours });
              if (approval.claims.head !== candidate || approval.claims.tree !== head.tree) {
                refused.push(`${approval.claims.jti}: bound to another revision`);
                continue;
              }
              verified.push(approval);
            } catch (error) {
              refused.push(error instanceof Error ? error.message : String(error));
            }
          }
          if (verified.length === 0) continue;
          const risk = verified.map((a) => a.claims.risk).reduce((a, b) => (RISK_ORDER.indexOf(a) >= RISK_ORDER.indexOf(b) ? a : b));
          const sandboxPassed = verified.some((a) => a.claims.sandbox?.status === 'passed');
          const first = verified[0] as VerifiedApproval;
          const gate = evaluateGate({
            policy: policy.policy,
            repository: first.claims.aud,
            revision: { base: first.claims.base, head: candidate, tree: head.tree },
            risk,
            author: { email: head.author.email, name: head.author.name },
            approvals: verified,
            revocations: [],
            sandbox: sandboxPassed ? { status: 'completed', passed: true, head: candidate } : null,
            appliesInLastHour: 0,
            now: new Date(Math.max(...verified.map((a) => a.claims.iat * 1000))),
          });
          const unmet = gate.conditions.filter((c) => !c.met && c.id !== 'rate-limit');
          if (unmet.length === 0) {
            emit(json, { ok: true, commit: oid, approvedRevision: candidate, risk, approvals: verified.map((a) => ({ jti: a.claims.jti, by: a.signer.name, role: a.signer.role })) }, () =>
              `${oid}: approved (${risk}) by ${verified.map((a) => `${a.signer.name} (${a.signer.role})`).join(', ')}`,
            );
            return;
          }
          return fail(unmet.map((c) => c.message).join('; '), { refused });
        }
        return fail('no valid Gatehouse approval is recorded for this commit');
      });
    });
}
