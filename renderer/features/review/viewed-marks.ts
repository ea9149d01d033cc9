/**
 * "Viewed" marks of the unlocked operator on the revision on screen, kept by main per operator and per
 * revision (`review:viewed`, `review:setViewed`): a lead never inherits a reviewer's ticks, and a file a
 * new revision changes is unviewed again. A toggle shows at once and is undone if main refuses it.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import type { ViewedView } from '../../../shared/ipc/channels/review';
import { call } from '../../api/client';
import { channelKey, useChannelQuery } from '../../api/hooks';

/** The viewed set of one revision and a toggle. */
export function useViewedMarks(
  repositoryId: string,
  proposalId: string,
  headOid: string,
  enabled = true,
): { readonly viewed: ReadonlySet<string>; readonly ready: boolean; readonly toggle: (path: string) => void } {
  const queryClient = useQueryClient();
  const input = useMemo(() => ({ repositoryId, proposalId }), [repositoryId, proposalId]);
  const query = useChannelQuery('review:viewed', input, { staleTime: 30_000, enabled });
  // Marks of another head (the branch moved under us) do not count for this one.
  const current = query.data !== undefined && query.data.headOid === headOid ? query.data : null;
  // Toggles main has not confirmed yet win over any answer that arrives meanwhile (a refetch started by
  // an event may have been answered before main stored the toggle).
  const [pending, setPending] = useState<ReadonlyMap<string, boolean>>(new Map());
  const viewed = useMemo(() => {
    const set = new Set(current?.paths ?? []);
    for (const [path, value] of pending) {
      if (value) set.add(path);
      else set.delete(path);
    }
    return set;
  }, [current, pending]);

  const toggle = useCallback(
    (path: string): void => {
      const key = channelKey('review:viewed', input);
      // An answer still on its way predates this toggle: drop it, or it would undo the tick on screen.
      void queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<ViewedView>(key);
      const was = pending.get(path) ?? (before?.headOid === headOid && before.paths.includes(path));
      setPending((previous) => new Map(previous).set(path, !was));
      const settle = (): void =>
        setPending((previous) => {
          const next = new Map(previous);
          next.delete(path);
          return next;
        });
      const optimistic: ViewedView = {
        headOid,
        paths: was ? (before?.paths ?? []).filter((item) => item !== path) : [...(before?.headOid === headOid ? before.paths : []), path],
      };
      queryClient.setQueryData(key, optimistic);
      call('review:setViewed', { ...input, headOid, path, viewed: !was }).then(
        (next) => {
          queryClient.setQueryData(key, next);
          settle();
        },
        () => {
          // Refused (the branch moved, the session locked): show what main holds.
          settle();
          void queryClient.invalidateQueries({ queryKey: key });
        },
      );
    },
    [queryClient, input, headOid, pending],
  );
  return { viewed, ready: current !== null, toggle };
}
