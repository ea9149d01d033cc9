/** Hooks for the app channels: info, health, the demo workspace. */
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import type { GatehouseCallError } from './client';
import { useChannelMutation, useChannelQuery } from './hooks';

/** Version, data directory, runtime versions and Docker status. */
export function useAppInfo(): UseQueryResult<ChannelOutput<'app:info'>, GatehouseCallError> {
  return useChannelQuery('app:info', {}, { staleTime: 30_000 });
}

/** The self-checks. */
export function useHealth(): UseQueryResult<ChannelOutput<'app:health'>, GatehouseCallError> {
  return useChannelQuery('app:health', {});
}

/** Builds the demo workspace; `onCreated` runs before the operator list refreshes. */
export function useCreateDemo(
  onCreated: (demo: ChannelOutput<'app:createDemo'>) => void,
): UseMutationResult<ChannelOutput<'app:createDemo'>, GatehouseCallError, ChannelInput<'app:createDemo'>> {
  return useChannelMutation('app:createDemo', {
    invalidates: ['operator:list', 'repo:list', 'proposal:list'],
    onSuccess: onCreated,
  });
}
