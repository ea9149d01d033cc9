/** Hooks for checkpoints and rollback. */
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import type { GatehouseCallError } from './client';
import { useChannelMutation, useChannelQuery } from './hooks';

type Mutation<C extends Channel> = UseMutationResult<ChannelOutput<C>, GatehouseCallError, ChannelInput<C>>;
type Query<C extends Channel> = UseQueryResult<ChannelOutput<C>, GatehouseCallError>;

/** Checkpoints of a repository, newest first. */
export function useCheckpoints(repositoryId: string | null): Query<'checkpoint:list'> {
  return useChannelQuery('checkpoint:list', { repositoryId: repositoryId ?? '' }, { enabled: repositoryId !== null });
}

/** What rolling back to a checkpoint would change. */
export function useCheckpointPreview(repositoryId: string | null, checkpointId: string | null): Query<'checkpoint:preview'> {
  return useChannelQuery(
    'checkpoint:preview',
    { repositoryId: repositoryId ?? '', checkpointId: checkpointId ?? '' },
    { enabled: repositoryId !== null && checkpointId !== null },
  );
}

/** Takes a checkpoint now. */
export function useCreateCheckpoint(): Mutation<'checkpoint:create'> {
  return useChannelMutation('checkpoint:create', { invalidates: ['checkpoint:list'] });
}

/** Rolls back (lead). */
export function useRollback(): Mutation<'checkpoint:rollback'> {
  return useChannelMutation('checkpoint:rollback', {
    invalidates: ['checkpoint:list', 'checkpoint:preview', 'proposal:list', 'proposal:show'],
  });
}

/** The rollback preview line by line, with labels and the applies it undoes. */
export function useCheckpointPreviewLines(repositoryId: string | null, checkpointId: string | null): Query<'checkpoint:previewLines'> {
  return useChannelQuery(
    'checkpoint:previewLines',
    { repositoryId: repositoryId ?? '', checkpointId: checkpointId ?? '' },
    { enabled: repositoryId !== null && checkpointId !== null },
  );
}

/** Plain-language checkpoint labels and the current one. */
export function useCheckpointLabels(repositoryId: string): Query<'checkpoint:labels'> {
  return useChannelQuery('checkpoint:labels', { repositoryId });
}

/** Rolls back with a reason (lead). */
export function useRollbackWithReason(): Mutation<'checkpoint:rollbackWithReason'> {
  return useChannelMutation('checkpoint:rollbackWithReason', {
    invalidates: ['checkpoint:list', 'checkpoint:preview', 'checkpoint:previewLines', 'checkpoint:labels', 'proposal:list', 'proposal:show'],
  });
}

/** What the policy's checkpoint retention would prune now (a dry run; leads). */
export function usePrunePlan(repositoryId: string | null, enabled: boolean): Query<'checkpoint:prune'> {
  return useChannelQuery('checkpoint:prune', { repositoryId: repositoryId ?? '', dryRun: true }, { enabled: enabled && repositoryId !== null });
}

/** Prunes checkpoints by the policy's retention (leads). */
export function usePruneCheckpoints(): Mutation<'checkpoint:prune'> {
  return useChannelMutation('checkpoint:prune', { invalidates: ['checkpoint:prune', 'checkpoint:list', 'checkpoint:labels'] });
}
