/** Channels for checkpoints and rollback. */
import { z } from 'zod';
import { Oid } from '../../model/domain';
import { channel } from '../define';

const Id = z.string().min(1).max(200);
const CheckpointId = z.string().min(1).max(200).regex(/^[A-Za-z0-9._-]+$/, 'a checkpoint id');

/** A checkpoint as listed. */
export const CheckpointView = z.object({
  id: z.string(),
  commitOid: Oid,
  branch: z.string(),
  headOid: Oid.nullable(),
  reason: z.string(),
  operator: z.string(),
  createdAt: z.string(),
  /** Whether the working tree was dirty when it was taken. */
  dirty: z.boolean(),
});
export type CheckpointView = z.infer<typeof CheckpointView>;

/** One path that differs between now and a checkpoint. */
export const PathChangeView = z.object({
  path: z.string(),
  status: z.enum(['added', 'modified', 'deleted', 'mode-only', 'type-change']),
});

/** A rollback preview a lead can judge: labels, the current state marked, lines per file, the applies undone. */
export const CheckpointLinesView = z.object({
  checkpoint: CheckpointView,
  /** The checkpoint in plain words ("Before applying quote-formula (by lee)"). */
  label: z.string(),
  /** The repository is in exactly this state now: rolling back to it changes nothing. */
  current: z.boolean(),
  files: z
    .array(
      PathChangeView.extend({
        /** The file now (null: absent, binary, or not shown). */
        now: z.string().nullable(),
        /** The file after the rollback. */
        after: z.string().nullable(),
        /** Whether the texts were read (large previews list the first files with lines, the rest by path). */
        shown: z.boolean(),
      }),
    )
    .readonly(),
  /** Applies since the checkpoint, which a rollback to it undoes. */
  undoes: z.array(z.object({ proposal: z.string(), by: z.string(), at: z.string(), newTargetHead: z.string() })).readonly(),
});
export type CheckpointLinesView = z.infer<typeof CheckpointLinesView>;

/** The checkpoint channels. */
export const checkpointChannels = {
  /** Checkpoints of a repository, newest first. */
  'checkpoint:list': channel({
    summary: 'Checkpoints of a repository',
    input: z.object({ repositoryId: Id }).strict(),
    output: z.array(CheckpointView).readonly(),
    access: 'session',
  }),
  /** Takes a checkpoint now. */
  'checkpoint:create': channel({
    summary: 'Take a checkpoint now',
    input: z.object({ repositoryId: Id, reason: z.string().trim().min(1).max(500) }).strict(),
    output: CheckpointView,
    access: ['reviewer', 'lead'],
  }),
  /** What a rollback to this checkpoint would change (now → checkpoint). */
  'checkpoint:preview': channel({
    summary: 'Preview a rollback: what differs between now and the checkpoint',
    input: z.object({ repositoryId: Id, checkpointId: CheckpointId }).strict(),
    output: z.object({
      checkpoint: CheckpointView,
      changes: z.array(PathChangeView).readonly(),
      /** Untracked files the undo checkpoint could not capture (too large, unsafe names): warn before rolling back. */
      notCaptured: z.array(z.object({ path: z.string(), reason: z.string() })).readonly().optional(),
    }),
    access: 'session',
  }),
  /** The rollback preview with labels, line changes per file and the applies it undoes. */
  'checkpoint:previewLines': channel({
    summary: 'Preview a rollback line by line, with the applies it undoes',
    input: z.object({ repositoryId: Id, checkpointId: CheckpointId }).strict(),
    output: CheckpointLinesView,
    access: 'session',
  }),
  /** Plain-language labels of a repository's checkpoints, and which one is the current state. */
  'checkpoint:labels': channel({
    summary: 'Checkpoint labels and the current one',
    input: z.object({ repositoryId: Id }).strict(),
    output: z.object({ labels: z.record(z.string(), z.string()), currentId: z.string().nullable() }),
    access: 'session',
  }),
  /** Rolls back with the lead's reason, recorded in the audit log before the rollback runs. */
  'checkpoint:rollbackWithReason': channel({
    summary: 'Roll back to a checkpoint, giving a reason',
    input: z
      .object({ repositoryId: Id, checkpointId: CheckpointId, reason: z.string().trim().min(3, 'a reason of at least 3 characters is required').max(2000), confirm: z.literal(true) })
      .strict(),
    output: z.object({
      restored: CheckpointView,
      /** Null when the repository already was the checkpoint: nothing to roll back, no undo checkpoint taken. */
      undoCheckpoint: CheckpointView.nullable(),
      /** The repository already was the checkpoint: nothing was written. */
      nothingToRollBack: z.boolean().optional(),
      changedPaths: z.number().int(),
      durationMs: z.number(),
    }),
    access: ['lead'],
  }),
  /** Rolls the repository back (lead only); a checkpoint of now is taken first so it can be undone. */
  'checkpoint:rollback': channel({
    summary: 'Roll back to a checkpoint (takes an undo checkpoint first)',
    input: z.object({ repositoryId: Id, checkpointId: CheckpointId, confirm: z.literal(true) }).strict(),
    output: z.object({
      restored: CheckpointView,
      /** Null when the repository already was the checkpoint: nothing to roll back, no undo checkpoint taken. */
      undoCheckpoint: CheckpointView.nullable(),
      /** The repository already was the checkpoint: nothing was written. */
      nothingToRollBack: z.boolean().optional(),
      changedPaths: z.number().int(),
      durationMs: z.number(),
      /** Untracked files the undo checkpoint did not capture. */
      notCaptured: z.array(z.object({ path: z.string(), reason: z.string() })).readonly().optional(),
    }),
    access: ['lead'],
  }),
  /** Prunes checkpoints by the policy's retention (leads); `dryRun` lists what would go. Audited. */
  'checkpoint:prune': channel({
    summary: "Prune checkpoints by the policy's retention (keep last N, keep newer than D days)",
    input: z.object({ repositoryId: Id, dryRun: z.boolean() }).strict(),
    output: z.object({
      /** The policy's retention that decided. */
      retention: z.object({ keepLast: z.number().int(), keepDays: z.number().int(), pruneAutomatically: z.boolean() }),
      dryRun: z.boolean(),
      /** Checkpoint ids deleted (with dryRun: that would be). */
      pruned: z.array(z.string()).readonly(),
      /** Checkpoints left (with dryRun: all of them still). */
      remaining: z.number().int(),
      /** The last apply's checkpoint, never pruned. */
      protectedLastApply: z.string().nullable(),
    }),
    access: ['lead'],
  }),
} as const;
