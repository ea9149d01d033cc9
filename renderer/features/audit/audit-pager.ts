/**
 * Pages of the audit log for a virtual table of any length (a million events and more), fetched
 * lazily by keyset (`beforeSeq` / `afterSeq`), never by offset.
 *
 * The table is a snapshot: row 0 is the newest event when the filters were set. Events appended later
 * are counted ("12 new events") and shown when the reader asks or is already at the top, so rows never
 * move under the reader's eyes.
 *
 * Without filters the log's sequence numbers are dense (1…N, append-only), so row i is seq top − i and
 * any page is one exact keyset query: a jump to the middle costs one query. With filters, pages chain
 * from a loaded neighbour (exact); a jump far from any loaded page starts from a seq interpolated
 * between the known rows, and its neighbours chain exactly from there.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AuditEventView } from '../../../shared/ipc/channels/audit';
import type { ChannelInput } from '../../../shared/ipc/contract';
import { call, describeError, type GatehouseCallError, type ShownError } from '../../api/client';
import { channelKey, useChannelQuery } from '../../api/hooks';

/** Rows per page (the contract allows up to 1000). */
export const pageSize = 100;

/** The filters of the audit browser (everything but paging). */
export type AuditFilters = Omit<ChannelInput<'audit:search'>, 'beforeSeq' | 'afterSeq' | 'limit'>;

type Page =
  | { readonly state: 'loading' }
  | { readonly state: 'loaded'; readonly events: ReadonlyArray<AuditEventView>; readonly exact: boolean }
  | { readonly state: 'error'; readonly error: ShownError };

interface Snapshot {
  readonly generation: number;
  readonly filtersKey: string;
  readonly topSeq: number;
  readonly total: number;
  /** Unfiltered and seq-dense: row i is seq topSeq − i. */
  readonly dense: boolean;
}

/** One row as the table renders it. */
export type AuditRow =
  | { readonly state: 'loaded'; readonly event: AuditEventView; readonly exact: boolean }
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly error: ShownError };

/** What the audit table reads. */
export interface AuditPager {
  /** Changes with every new snapshot (the pages to load start over). */
  readonly generation: number;
  /** Rows in the snapshot (null until the first page answered). */
  readonly total: number | null;
  /** Events appended (matching the filters) since the snapshot. */
  readonly newer: number;
  readonly headError: GatehouseCallError | null;
  readonly headLoading: boolean;
  /** Whether the first page is in. */
  readonly firstPageReady: boolean;
  /** Whether some page was placed by an interpolated seq (filtered jump). */
  readonly approximate: boolean;
  row(index: number): AuditRow;
  /** Loads whatever pages cover these rows. */
  ensure(first: number, last: number): void;
  /** Takes a new snapshot (shows the newer events). */
  refresh(): void;
  /** Retries the pages that failed. */
  retry(): void;
}

function hasFilters(filters: AuditFilters): boolean {
  return Object.values(filters).some((value) => value !== undefined && value !== '');
}

function isDense(filters: AuditFilters, topSeq: number, total: number): boolean {
  // Sequence numbers start at 1 (or 0) and never skip in an append-only log.
  return !hasFilters(filters) && (total === topSeq || total === topSeq + 1);
}

/** The pager behind the audit table. */
export function useAuditPager(filters: AuditFilters, atTop: () => boolean): AuditPager {
  const queryClient = useQueryClient();
  const filtersKey = JSON.stringify(filters);
  const head = useChannelQuery('audit:search', { ...filters, limit: pageSize }, { keepPrevious: true });
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const pages = useRef(new Map<number, Page>());
  const [, setVersion] = useState(0);
  const bump = useCallback(() => setVersion((value) => value + 1), []);
  const snapshotRef = useRef<Snapshot | null>(null);
  snapshotRef.current = snapshot;
  // Bumped synchronously with every snapshot, so answers to an older snapshot's queries are dropped.
  const generationRef = useRef(0);

  const takeSnapshot = useCallback(
    (events: ReadonlyArray<AuditEventView>, total: number): void => {
      const sorted = [...events].sort((a, b) => b.seq - a.seq);
      const topSeq = sorted[0]?.seq ?? 0;
      pages.current = new Map([[0, { state: 'loaded', events: sorted, exact: true }]]);
      generationRef.current += 1;
      setSnapshot({
        generation: generationRef.current,
        filtersKey,
        topSeq,
        total,
        dense: isDense(filters, topSeq, total),
      });
    },
    [filters, filtersKey],
  );

  // A new answer for the first page: a new snapshot when the filters changed (or the reader is at the
  // top), else only the count of newer events.
  useEffect(() => {
    const data = head.data;
    if (data === undefined || head.isPlaceholderData) return;
    const current = snapshotRef.current;
    if (current === null || current.filtersKey !== filtersKey || (data.total !== current.total && atTop())) {
      takeSnapshot(data.events, data.total);
    }
  }, [head.data, head.isPlaceholderData, filtersKey, takeSnapshot, atTop]);

  /** The keyset query of one page, and whether it lands the page exactly (not by interpolation). */
  const pageInput = useCallback(
    (index: number, shot: Snapshot): { readonly input: ChannelInput<'audit:search'>; readonly exact: boolean } | null => {
      const rows = Math.min(pageSize, shot.total - index * pageSize);
      if (rows <= 0) return null;
      const base = { ...filters, limit: rows };
      if (shot.dense) return { input: { ...base, beforeSeq: shot.topSeq - index * pageSize + 1 }, exact: true };
      const previous = pages.current.get(index - 1);
      const last = previous?.state === 'loaded' ? previous.events[previous.events.length - 1] : undefined;
      if (last !== undefined) return { input: { ...base, beforeSeq: last.seq }, exact: true };
      const next = pages.current.get(index + 1);
      const first = next?.state === 'loaded' ? next.events[0] : undefined;
      // afterSeq answers the `limit` events just above it (newest first), so the page above a loaded one is exact.
      if (first !== undefined) return { input: { ...base, afterSeq: first.seq }, exact: true };
      if (index === Math.floor((shot.total - 1) / pageSize)) return { input: { ...base, afterSeq: 0 }, exact: true };
      const seq = Math.round(interpolateSeq(index * pageSize, shot, pages.current));
      return { input: { ...base, beforeSeq: Math.max(1, seq + 1) }, exact: false };
    },
    [filters],
  );

  const load = useCallback(
    (index: number): void => {
      const shot = snapshotRef.current;
      if (shot === null) return;
      const query = pageInput(index, shot);
      if (query === null) return;
      const { input, exact } = query;
      pages.current.set(index, { state: 'loading' });
      bump();
      queryClient
        .fetchQuery({ queryKey: channelKey('audit:search', input), queryFn: () => call('audit:search', input), staleTime: Infinity })
        .then(
          (result) => {
            if (generationRef.current !== shot.generation) return;
            const events = [...result.events].sort((a, b) => b.seq - a.seq);
            pages.current.set(index, { state: 'loaded', events, exact });
            if (shot.dense && events.some((event, offset) => event.seq !== shot.topSeq - index * pageSize - offset)) {
              // A gap in the sequence: stop assuming density; pages load by neighbour from now on.
              setSnapshot((latest) => (latest === null || latest.generation !== shot.generation ? latest : { ...latest, dense: false }));
            }
            bump();
          },
          (error: unknown) => {
            if (generationRef.current !== shot.generation) return;
            pages.current.set(index, { state: 'error', error: describeError(error) });
            bump();
          },
        );
    },
    [pageInput, queryClient, bump],
  );

  const ensure = useCallback(
    (first: number, last: number): void => {
      const shot = snapshotRef.current;
      if (shot === null || shot.total === 0) return;
      const from = Math.max(0, Math.floor(first / pageSize));
      const to = Math.min(Math.floor((shot.total - 1) / pageSize), Math.floor(last / pageSize));
      for (let index = from; index <= to; index += 1) {
        if (!pages.current.has(index)) load(index);
      }
    },
    [load],
  );

  const row = useCallback((index: number): AuditRow => {
    const page = pages.current.get(Math.floor(index / pageSize));
    if (page === undefined || page.state === 'loading') return { state: 'loading' };
    if (page.state === 'error') return page;
    const event = page.events[index % pageSize];
    // A short page (events deleted? never: the log is append-only; filters moved) shows as loading.
    return event === undefined ? { state: 'loading' } : { state: 'loaded', event, exact: page.exact };
  }, []);

  const refresh = useCallback((): void => {
    if (head.data !== undefined) takeSnapshot(head.data.events, head.data.total);
  }, [head.data, takeSnapshot]);

  const retry = useCallback((): void => {
    for (const [index, page] of pages.current) if (page.state === 'error') pages.current.delete(index);
    bump();
    if (head.isError) void head.refetch();
  }, [bump, head]);

  const current = snapshot !== null && snapshot.filtersKey === filtersKey ? snapshot : null;
  const approximate = useMemo(
    () => [...pages.current.values()].some((page) => page.state === 'loaded' && !page.exact),
    // Re-read on every render: the pages live in a ref.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [pages.current.size, snapshot],
  );
  return {
    generation: snapshot?.generation ?? 0,
    total: current?.total ?? null,
    newer: current !== null && head.data !== undefined && !head.isPlaceholderData ? Math.max(0, head.data.total - current.total) : 0,
    headError: head.error,
    headLoading: head.isPending || (head.isFetching && current === null),
    firstPageReady: current !== null,
    approximate,
    row,
    ensure,
    refresh,
    retry,
  };
}

/** A seq for a row between known rows (page boundaries loaded so far, the top and the bottom). */
function interpolateSeq(rowIndex: number, shot: Snapshot, pages: ReadonlyMap<number, Page>): number {
  const anchors: Array<readonly [number, number]> = [[0, shot.topSeq], [shot.total, 0]];
  for (const [index, page] of pages) {
    if (page.state !== 'loaded') continue;
    page.events.forEach((event, offset) => {
      if (offset === 0 || offset === page.events.length - 1) anchors.push([index * pageSize + offset, event.seq]);
    });
  }
  anchors.sort((a, b) => a[0] - b[0]);
  let below: readonly [number, number] = [0, shot.topSeq];
  let above: readonly [number, number] = [shot.total, 0];
  for (const anchor of anchors) {
    if (anchor[0] <= rowIndex) below = anchor;
    else {
      above = anchor;
      break;
    }
  }
  const span = above[0] - below[0];
  if (span <= 0) return below[1];
  return below[1] - ((rowIndex - below[0]) / span) * (below[1] - above[1]);
}
