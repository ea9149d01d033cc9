/**
 * "Viewed" marks per revision, kept in localStorage: a new head starts unviewed, because what the
 * reviewer saw before is not what is there now.
 */
import { useCallback, useState } from 'react';

const prefix = 'gatehouse.viewed.';

function storageKey(repositoryId: string, proposalId: string, headOid: string): string {
  return `${prefix}${repositoryId}\u0000${proposalId}\u0000${headOid}`;
}

function read(key: string): ReadonlySet<string> {
  try {
    const raw = window.localStorage.getItem(key);
    const parsed: unknown = raw === null ? [] : JSON.parse(raw);
    return new Set(Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : []);
  } catch {
    return new Set();
  }
}

/** The viewed set of one revision and a toggle. */
export function useViewedMarks(
  repositoryId: string,
  proposalId: string,
  headOid: string,
): { readonly viewed: ReadonlySet<string>; readonly toggle: (path: string) => void } {
  const key = storageKey(repositoryId, proposalId, headOid);
  const [state, setState] = useState<{ readonly key: string; readonly viewed: ReadonlySet<string> }>(() => ({ key, viewed: read(key) }));
  const viewed = state.key === key ? state.viewed : read(key);

  const write = useCallback(
    (next: ReadonlySet<string>): void => {
      setState({ key, viewed: next });
      try {
        window.localStorage.setItem(key, JSON.stringify([...next]));
      } catch {
        // Storage full or disabled: the marks still hold for this session.
      }
    },
    [key],
  );
  const toggle = useCallback(
    (path: string): void => {
      const next = new Set(viewed);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      write(next);
    },
    [viewed, write],
  );
  return { viewed, toggle };
}
