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
  /** Rolls the repository back (lead only); a checkpoint of now is taken first so it can be undone. */
  'checkpoint:rollback': channel({
    summary: 'Roll back to a checkpoint (takes an undo checkpoint first)',
    input: z.object({ repositoryId: Id, checkpointId: CheckpointId, confirm: z.literal(true) }).strict(),
    output: z.object({
      restored: CheckpointView,
      undoCheckpoint: CheckpointView,
      changedPaths: z.number().int(),
      durationMs: z.number(),
      /** Untracked files the undo checkpoint did not capture. */
      notCaptured: z.array(z.object({ path: z.string(), reason: z.string() })).readonly().optional(),
    }),
    access: ['lead'],
  }),
} as const;
