/** Hooks for the audit log and policy. */
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import type { GatehouseCallError } from './client';
import { useChannelMutation, useChannelQuery } from './hooks';

type Mutation<C extends Channel> = UseMutationResult<ChannelOutput<C>, GatehouseCallError, ChannelInput<C>>;
type Query<C extends Channel> = UseQueryResult<ChannelOutput<C>, GatehouseCallError>;

/** Event counts per action (feeds the action filter); `enabled` lets the first page of events go first. */
export function useAuditCounts(enabled = true): Query<'audit:counts'> {
  return useChannelQuery('audit:counts', {}, { staleTime: 10_000, enabled });
}

/** Verifies the chain; progress arrives as `audit:verifyProgress`. */
export function useVerifyAudit(): Mutation<'audit:verify'> {
  return useChannelMutation('audit:verify');
}

/** Cancels a verification. */
export function useCancelVerify(): Mutation<'audit:verifyCancel'> {
  return useChannelMutation('audit:verifyCancel');
}

/** Exports the log as JSON Lines. */
export function useExportAudit(): Mutation<'audit:export'> {
  return useChannelMutation('audit:export');
}

/** Exports the whole log or the filtered view, JSON Lines or CSV, into a folder. */
export function useExportAuditView(): Mutation<'audit:exportView'> {
  return useChannelMutation('audit:exportView');
}

/** Opens an exported file and verifies it. */
export function useVerifyExport(): Mutation<'audit:verifyExport'> {
  return useChannelMutation('audit:verifyExport');
}

/** The policy in force for a repository. */
export function usePolicy(repositoryId: string | null): Query<'policy:get'> {
  return useChannelQuery('policy:get', { repositoryId: repositoryId ?? '' }, { enabled: repositoryId !== null });
}

/** Validates a policy text without saving it. */
export function useValidatePolicy(): Mutation<'policy:validate'> {
  return useChannelMutation('policy:validate');
}
