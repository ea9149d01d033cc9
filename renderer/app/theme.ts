/** Light or dark, following the operating system (`prefers-color-scheme`). */
import { useSyncExternalStore } from 'react';

/** The scheme in force. */
export type ColorScheme = 'light' | 'dark';

const query = '(prefers-color-scheme: dark)';

function subscribe(onChange: () => void): () => void {
  const list = window.matchMedia(query);
  list.addEventListener('change', onChange);
  return () => list.removeEventListener('change', onChange);
}

function current(): ColorScheme {
  return window.matchMedia(query).matches ? 'dark' : 'light';
}

/** The OS colour scheme, live. */
export function useColorScheme(): ColorScheme {
  return useSyncExternalStore(subscribe, current);
}
