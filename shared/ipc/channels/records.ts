/** Channels for the repository's record log: verifying what landed (the CI gate) and sharing records with the remote. */
import { z } from 'zod';
import { channel } from '../define';

const Id = z.string().min(1).max(200);
const RefInput = z.string().min(1).max(512);

/** The verdict of `repo:verify`. */
export const LandingVerdictView = z.object({
  ok: z.boolean(),
  commit: z.string(),
  resolvedFrom: z.string(),
  root: z.string(),
  landings: z
    .array(
      z.object({
        commit: z.string(),
        proposal: z.string(),
        risk: z.string(),
        appliedBy: z.string(),
        appliedAt: z.string(),
        approvals: z.array(z.string()).readonly(),
      }),
    )
    .readonly(),
  failure: z.object({ condition: z.string(), commit: z.string(), message: z.string() }).nullable(),
});
export type LandingVerdictView = z.infer<typeof LandingVerdictView>;

/** What `repo:sync` did. */
export const SyncView = z.object({
  url: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  pushed: z.boolean(),
  received: z.number().int().nonnegative(),
  ingested: z.number().int().nonnegative(),
});
export type SyncView = z.infer<typeof SyncView>;

/** The record channels. */
export const recordChannels = {
  /**
   * Verifies that a commit was landed through Gatehouse from the pinned root (the CI gate).
   *
   * `dir` verifies a clone that is not registered here (a CI checkout), under `repositoryId` as the
   * approvals' audience; `root` overrides the pinned root.
   */
  'repo:verify': channel({
    summary: 'Verify that a commit landed with valid approvals',
    input: z.object({ repositoryId: Id, ref: RefInput, root: RefInput.optional(), dir: z.string().min(1).max(4096).optional() }).strict(),
    output: LandingVerdictView,
    access: 'public',
  }),
  /** Fetches, joins and pushes the record log with the repository's remote (default `origin`). */
  'repo:sync': channel({
    summary: "Share decisions with the repository's remote",
    input: z.object({ repositoryId: Id, remote: z.string().min(1).max(2048).optional() }).strict(),
    output: SyncView,
    // It pushes: only those who sign decisions share them (an auditor reads the log as fetched with git).
    access: ['reviewer', 'lead'],
  }),
} as const;
