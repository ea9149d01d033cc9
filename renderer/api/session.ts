/** Hooks for the session and operators. */
import { useMutation, useQueryClient, type UseMutationResult, type UseQueryResult } from '@tanstack/react-query';
import type { ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import { call, type GatehouseCallError } from './client';
import { invalidateChannels, useChannelMutation, useChannelQuery } from './hooks';

/** The unlocked operator, or null. */
export function useSession(): UseQueryResult<ChannelOutput<'session:current'>, GatehouseCallError> {
  // session:changed (unlock, lock, idle lock) invalidates it; a LOCKED answer anywhere re-reads it.
  return useChannelQuery('session:current', {}, { staleTime: 30_000 });
}

/** All operators (public: the unlock screen lists them). */
export function useOperators(): UseQueryResult<ChannelOutput<'operator:list'>, GatehouseCallError> {
  return useChannelQuery('operator:list', {});
}

/** Unlocks an operator. */
export function useUnlock(): UseMutationResult<ChannelOutput<'session:unlock'>, GatehouseCallError, ChannelInput<'session:unlock'>> {
  return useChannelMutation('session:unlock', { invalidates: ['session:current'] });
}

/** Locks the session. */
export function useLock(): UseMutationResult<ChannelOutput<'session:lock'>, GatehouseCallError, ChannelInput<'session:lock'>> {
  return useChannelMutation('session:lock', { invalidates: ['session:current'] });
}

/** Creates an operator. */
export function useCreateOperator(): UseMutationResult<ChannelOutput<'operator:create'>, GatehouseCallError, ChannelInput<'operator:create'>> {
  return useChannelMutation('operator:create', { invalidates: ['operator:list'] });
}

/**
 * First run: creates the operator and unlocks it in one step, so the screen that asked is not
 * unmounted (by the operator list refreshing) between the two calls.
 */
export function useCreateAndUnlock(): UseMutationResult<ChannelOutput<'session:unlock'>, GatehouseCallError, ChannelInput<'operator:create'>> {
  const queryClient = useQueryClient();
  return useMutation<ChannelOutput<'session:unlock'>, GatehouseCallError, ChannelInput<'operator:create'>>({
    mutationKey: ['operator:create'],
    mutationFn: async (input) => {
      const operator = await call('operator:create', input);
      return call('session:unlock', { name: operator.name, passphrase: input.passphrase });
    },
    onSuccess: () => invalidateChannels(queryClient, ['operator:list', 'session:current']),
  });
}
