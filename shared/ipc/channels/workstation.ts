/**
 * Channels for work the CLI does outside the review screen, so that it too goes through the dispatcher
 * with the console's roles: a one-off sandbox command and the trust list export.
 */
import { z } from 'zod';
import { SandboxRunResult } from '../../model/sandbox';
import { channel } from '../define';

const Id = z.string().min(1).max(200);
const ProposalId = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[A-Za-z0-9._/-]+$/, 'a branch name of letters, digits, . _ / -');

/** The workstation channels. */
export const workstationChannels = {
  /**
   * Runs one command on a proposal's head (or merge base) in the sandbox, under the policy's image and limits.
   *
   * Output arrives as `sandbox:output` events. The run is audited as `sandbox.exec` and never counts as
   * the policy's sandbox comparison: only `sandbox:run` records a result the gate reads.
   */
  'sandbox:exec': channel({
    summary: 'Run one command on a proposal in the sandbox (does not satisfy the gate)',
    input: z
      .object({
        repositoryId: Id,
        proposalId: ProposalId,
        side: z.enum(['base', 'head']).default('head'),
        command: z.array(z.string().min(1).max(4096)).min(1).max(200),
      })
      .strict(),
    output: SandboxRunResult,
    access: ['reviewer', 'lead'],
  }),
  /** The workspace's trust list (every operator's public key and role), as `.gatehouse/trust.json` text. */
  'operator:exportTrust': channel({
    summary: 'The trust list: public keys and roles of every operator',
    input: z.object({}).strict(),
    output: z.object({ text: z.string() }),
    access: 'public',
  }),
} as const;
