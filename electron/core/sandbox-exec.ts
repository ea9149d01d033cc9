/**
 * One command on one side of a proposal in the sandbox, for a reviewer who wants to try something.
 *
 * It runs under the policy's image and limits like the comparison does, but it is recorded as
 * `sandbox.exec` and never written where the gate looks for the policy's sandbox result: only the
 * policy's own comparison (`sandbox:run`) can satisfy the sandbox condition.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxRunResult } from '../../shared/model/sandbox';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import { getProposal, materialiseTree } from '../services/git';
import type { CoreContext } from './context';
import { governanceOf, requireValidPolicy, type RepositoryHandles } from './repositories';

/** What to run. */
export interface SandboxExecRequest {
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly side: 'base' | 'head';
  readonly command: ReadonlyArray<string>;
}

/** Runs the command, streaming output as `sandbox:output` events, and audits it as `sandbox.exec`. */
export async function sandboxExec(ctx: CoreContext, handles: RepositoryHandles, request: SandboxExecRequest): Promise<SandboxRunResult> {
  const handle = await handles.get(request.repositoryId);
  const found = await getProposal(handle.repo, request.proposalId);
  const oid = request.side === 'base' ? found.baseOid : found.headOid;
  if (oid === null) throw new GatehouseError(ErrorCode.Conflict, 'the proposal shares no history with the target branch');
  const policy = requireValidPolicy(await governanceOf(ctx, handle));
  const runId = `exec-${randomUUID()}`;
  const result = await ctx.sandbox.runTree({
    materialise: async (dir) => {
      await materialiseTree({ repo: handle.repo, oid, into: dir });
    },
    command: [...request.command],
    limits: policy.sandbox.limits,
    image: policy.sandbox.image,
    ...(policy.sandbox.imageDigest ? { imageDigest: policy.sandbox.imageDigest } : {}),
    side: request.side,
    onOutput: (stream, chunk) => ctx.events.emit('sandbox:output', { runId, side: request.side, stream, chunk }),
  });
  ctx.audit.record({
    action: 'sandbox.exec',
    subject: `proposal:${request.repositoryId}/${found.name}`,
    payload: {
      runId: result.runId,
      command: [...request.command],
      side: request.side,
      oid,
      status: result.status,
      exitCode: result.exitCode,
      violations: [...result.violations],
    },
  });
  return result;
}
