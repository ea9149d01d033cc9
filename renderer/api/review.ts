/** Hooks for repositories, proposals, decisions, apply and the sandbox. */
import type { QueryClient, UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { ProposalDetail } from '../../shared/ipc/channels/review';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import { call, type GatehouseCallError } from './client';
import { channelKey, useChannelMutation, useChannelQuery } from './hooks';
import { firstFileToOpen } from '../../shared/model/review-order';

type Mutation<C extends Channel> = UseMutationResult<ChannelOutput<C>, GatehouseCallError, ChannelInput<C>>;
type Query<C extends Channel> = UseQueryResult<ChannelOutput<C>, GatehouseCallError>;

/** What a decision or an apply makes stale. */
const afterDecision: ReadonlyArray<Channel> = ['proposal:show', 'proposal:list', 'comment:list', 'comment:states'];

/**
 * How long a proposal or repository answer counts as fresh. Events (`repo:changed`, `sandbox:finished`,
 * `session:changed`) and this console's own mutations invalidate them as soon as they change, so this
 * only saves the refetch on every mount — which on a large proposal competes with loading its first file.
 */
const freshFor = 30_000;

/** Registered repositories. */
export function useRepositories(enabled = true): Query<'repo:list'> {
  return useChannelQuery('repo:list', {}, { enabled, staleTime: freshFor });
}

/** Registers a repository (lead). */
export function useAddRepository(): Mutation<'repo:add'> {
  return useChannelMutation('repo:add', { invalidates: ['repo:list', 'proposal:list'] });
}

/** Forgets a repository (lead). */
export function useRemoveRepository(): Mutation<'repo:remove'> {
  return useChannelMutation('repo:remove', { invalidates: ['repo:list', 'proposal:list'] });
}

/** The queue. */
export function useProposals(repositoryId?: string): Query<'proposal:list'> {
  return useChannelQuery('proposal:list', repositoryId === undefined ? {} : { repositoryId }, { keepPrevious: true });
}

/** One proposal with everything the review view needs. */
export function useProposal(repositoryId: string, proposalId: string): Query<'proposal:show'> {
  return useChannelQuery('proposal:show', { repositoryId, proposalId }, { staleTime: freshFor });
}

/**
 * Loads a proposal ahead of its review, with the file the review opens first in the same answer, into
 * the cache entries `useProposal` and `useProposalFile` read: opening it then waits on nothing.
 */
export async function prefetchProposalForReview(
  queryClient: QueryClient,
  input: { readonly repositoryId: string; readonly proposalId: string },
  staleTime: number = freshFor,
): Promise<ProposalDetail> {
  const detail = await queryClient.fetchQuery({
    queryKey: channelKey('proposal:show', input),
    queryFn: async () => {
      const { firstFile, ...detail } = await call('proposal:show', { ...input, withFirstFile: true });
      if (firstFile !== undefined) {
        queryClient.setQueryData(channelKey('proposal:file', { ...input, path: firstFile.path }), firstFile);
      }
      return detail;
    },
    staleTime,
  });
  // A proposal answered earlier without its first file (or the file since dropped from the cache).
  const path = firstFileToOpen(detail.files, detail.findings);
  if (path !== null) {
    const file = { ...input, path };
    await queryClient.prefetchQuery({ queryKey: channelKey('proposal:file', file), queryFn: () => call('proposal:file', file), staleTime: fileFreshFor });
  }
  return detail;
}

/** How long a file's two sides count as fresh (content at an oid never changes; `repo:changed` makes them stale). */
const fileFreshFor = 60_000;

/** One file's two sides; cached for the proposal's lifetime on screen (content at an oid never changes). */
export function useProposalFile(repositoryId: string, proposalId: string, path: string | null): Query<'proposal:file'> {
  return useChannelQuery(
    'proposal:file',
    { repositoryId, proposalId, path: path ?? '' },
    { enabled: path !== null, staleTime: fileFreshFor },
  );
}

/** Searches every file of a proposal's revision (disabled while the query is empty; `repo:changed` makes it stale). */
export function useProposalSearch(repositoryId: string, proposalId: string, query: string, caseSensitive: boolean): Query<'proposal:search'> {
  return useChannelQuery('proposal:search', { repositoryId, proposalId, query: query === '' ? ' ' : query, caseSensitive }, { enabled: query !== '', staleTime: 60_000 });
}

/** Imports a proposal from a change set or a diff. */
export function useImportProposal(): Mutation<'proposal:import'> {
  return useChannelMutation('proposal:import', { invalidates: ['proposal:list'] });
}

/** Signs an approval. */
export function useApprove(): Mutation<'proposal:approve'> {
  return useChannelMutation('proposal:approve', { invalidates: afterDecision });
}

/** Signs a rejection. */
export function useReject(): Mutation<'proposal:reject'> {
  return useChannelMutation('proposal:reject', { invalidates: afterDecision });
}

/** Revokes an approval (lead). */
export function useRevoke(): Mutation<'approval:revoke'> {
  return useChannelMutation('approval:revoke', { invalidates: afterDecision });
}

/** Exports the approvals as a DSSE envelope. */
export function useExportDsse(): Mutation<'approval:exportDsse'> {
  return useChannelMutation('approval:exportDsse');
}

/** Applies a revision through the gate. */
export function useApply(): Mutation<'proposal:apply'> {
  return useChannelMutation('proposal:apply', { invalidates: [...afterDecision, 'checkpoint:list'] });
}

/** Starts a sandbox comparison. */
export function useSandboxRun(): Mutation<'sandbox:run'> {
  return useChannelMutation('sandbox:run');
}

/** Cancels a sandbox run. */
export function useSandboxCancel(): Mutation<'sandbox:cancel'> {
  return useChannelMutation('sandbox:cancel');
}

/** Comments (published, and the caller's drafts) and requests for changes on one proposal. */
export function useComments(repositoryId: string, proposalId: string, enabled = true): Query<'comment:list'> {
  return useChannelQuery('comment:list', { repositoryId, proposalId }, { staleTime: freshFor, enabled });
}

/** Every proposal's review state ("changes requested") and comment counts, for the queue rows. */
export function useReviewStates(): Query<'comment:states'> {
  return useChannelQuery('comment:states', {}, { keepPrevious: true });
}

/** Writes or edits a draft line comment. */
export function useDraftComment(): Mutation<'comment:draft'> {
  return useChannelMutation('comment:draft', { invalidates: ['comment:list'] });
}

/** Deletes a draft comment. */
export function useDeleteComment(): Mutation<'comment:delete'> {
  return useChannelMutation('comment:delete', { invalidates: ['comment:list'] });
}

/** Signs a request for changes, publishing the caller's drafts. */
export function useRequestChanges(): Mutation<'proposal:requestChanges'> {
  return useChannelMutation('proposal:requestChanges', { invalidates: [...afterDecision, 'comment:list'] });
}
