/**
 * Generic react-query hooks typed from the IPC contract, and event subscriptions that keep the cache
 * honest: every query is keyed `[channel, input]`, so an event invalidates by channel name.
 */
import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Channel, ChannelInput, ChannelOutput, EventName, EventPayload } from '../../shared/ipc/contract';
import { call, gatehouseApi, type GatehouseCallError } from './client';
import { invalidateChannels, invalidateEverything } from './invalidate';

/** The cache key of one call. */
export function channelKey<C extends Channel>(channel: C, input?: ChannelInput<C>): readonly unknown[] {
  return input === undefined ? [channel] : [channel, input];
}

/** Options of {@link useChannelQuery}. */
export interface ChannelQueryOptions<C extends Channel> {
  readonly enabled?: boolean;
  readonly staleTime?: number;
  readonly refetchInterval?: number | false;
  /** Keep showing the previous answer while a new input loads (filters, paging). */
  readonly keepPrevious?: boolean;
  readonly initialData?: ChannelOutput<C>;
}

/** Reads one channel through react-query; a refused call becomes a {@link GatehouseCallError}. */
export function useChannelQuery<C extends Channel>(
  channel: C,
  input: ChannelInput<C>,
  options: ChannelQueryOptions<C> = {},
): UseQueryResult<ChannelOutput<C>, GatehouseCallError> {
  return useQuery<ChannelOutput<C>, GatehouseCallError>({
    queryKey: channelKey(channel, input),
    queryFn: () => call(channel, input),
    enabled: options.enabled ?? true,
    staleTime: options.staleTime ?? 0,
    refetchInterval: options.refetchInterval ?? false,
    placeholderData: options.keepPrevious === true ? (previous) => previous : undefined,
    initialData: options.initialData,
  });
}

/** Options of {@link useChannelMutation}. */
export interface ChannelMutationOptions<C extends Channel> {
  /** Channels whose cached answers are stale once this call succeeds. */
  readonly invalidates?: ReadonlyArray<Channel>;
  readonly onSuccess?: (value: ChannelOutput<C>, input: ChannelInput<C>) => void;
}

/** Calls a state-changing channel; invalidates what it changed on success. */
export function useChannelMutation<C extends Channel>(
  channel: C,
  options: ChannelMutationOptions<C> = {},
): UseMutationResult<ChannelOutput<C>, GatehouseCallError, ChannelInput<C>> {
  const queryClient = useQueryClient();
  return useMutation<ChannelOutput<C>, GatehouseCallError, ChannelInput<C>>({
    mutationKey: [channel],
    mutationFn: (input) => call(channel, input),
    onSuccess: async (value, input) => {
      // The caller's callback runs first: invalidation may unmount the caller (first run → unlock).
      options.onSuccess?.(value, input);
      await invalidateChannels(queryClient, options.invalidates ?? []);
    },
  });
}

export { invalidateChannels } from './invalidate';

/** Subscribes to a main → renderer event for the component's lifetime. */
export function useGatehouseEvent<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): void {
  // The latest listener is called without resubscribing on every render.
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    const api = window.gatehouse === undefined ? null : gatehouseApi(name);
    if (api === null) return undefined;
    return api.on(name, (payload) => latest.current(payload));
  }, [name]);
}

/** What each event makes stale. `session:changed` makes everything stale: answers depend on the role. */
const staleAfter: { readonly [E in Exclude<EventName, 'session:changed' | 'sandbox:output' | 'audit:verifyProgress'>]: ReadonlyArray<Channel> } = {
  'repo:changed': [
    'repo:list',
    'proposal:list',
    'proposal:show',
    'proposal:file',
    'checkpoint:list',
    'checkpoint:preview',
    'checkpoint:previewLines',
    'checkpoint:labels',
    'policy:get',
    'comment:list',
    'comment:states',
    'review:viewed',
    'proposal:search',
  ],
  'audit:appended': ['audit:search', 'audit:counts'],
  'sandbox:finished': ['proposal:show', 'proposal:list'],
  'proposal:arrived': ['proposal:list', 'proposal:show', 'comment:list', 'comment:states'],
};

/** Mount once: keeps the query cache in step with what main reports. */
export function useEventInvalidation(): void {
  const queryClient = useQueryClient();
  // Fire-and-forget: invalidation refetches in the background and reports through each query's state.
  useGatehouseEvent('repo:changed', () => void invalidateChannels(queryClient, staleAfter['repo:changed']));
  useGatehouseEvent('audit:appended', () => void invalidateChannels(queryClient, staleAfter['audit:appended']));
  useGatehouseEvent('sandbox:finished', () => void invalidateChannels(queryClient, staleAfter['sandbox:finished']));
  useGatehouseEvent('proposal:arrived', () => void invalidateChannels(queryClient, staleAfter['proposal:arrived']));
  useGatehouseEvent('session:changed', () => void invalidateEverything(queryClient));
}
