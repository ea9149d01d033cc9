/** Hooks for coding agents: leads register, list and revoke them (the agents themselves speak MCP). */
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import type { GatehouseCallError } from './client';
import { useChannelMutation, useChannelQuery } from './hooks';

type Mutation<C extends Channel> = UseMutationResult<ChannelOutput<C>, GatehouseCallError, ChannelInput<C>>;
type Query<C extends Channel> = UseQueryResult<ChannelOutput<C>, GatehouseCallError>;

/** Registered agents with their latest activity (lead). */
export function useAgents(enabled = true): Query<'agent:list'> {
  return useChannelQuery('agent:list', {}, { enabled });
}

/** Registers an agent; the answer holds its credential, shown once (lead). */
export function useAddAgent(): Mutation<'agent:add'> {
  return useChannelMutation('agent:add', { invalidates: ['agent:list'] });
}

/** Revokes an agent's credential (lead). */
export function useRevokeAgent(): Mutation<'agent:revoke'> {
  return useChannelMutation('agent:revoke', { invalidates: ['agent:list'] });
}
