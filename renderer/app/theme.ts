/**
 * The colour scheme: light, dark, or the operating system's (`prefers-color-scheme`), chosen in the
 * header and remembered in localStorage. The resolved scheme is set as `<html data-theme>`, which the
 * stylesheet keys its colours on.
 */
import { useSyncExternalStore } from 'react';

/** The scheme in force. */
export type ColorScheme = 'light' | 'dark';
/** What the operator chose. */
export type ThemeChoice = ColorScheme | 'system';

const query = '(prefers-color-scheme: dark)';
const storageKey = 'gatehouse.theme';
const changed = 'gatehouse-theme-changed';

function readChoice(): ThemeChoice {
  try {
    const stored = window.localStorage.getItem(storageKey);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system';
  }
}

function subscribe(onChange: () => void): () => void {
  const list = window.matchMedia(query);
  list.addEventListener('change', onChange);
  window.addEventListener(changed, onChange);
  return () => {
    list.removeEventListener('change', onChange);
    window.removeEventListener(changed, onChange);
  };
}

function resolve(choice: ThemeChoice): ColorScheme {
  if (choice !== 'system') return choice;
  return window.matchMedia(query).matches ? 'dark' : 'light';
}

function current(): ColorScheme {
  return resolve(readChoice());
}

/** Sets `<html data-theme>` to the scheme in force (call once before the first render, to avoid a flash). */
export function applyColorScheme(): ColorScheme {
  const scheme = current();
  document.documentElement.dataset.theme = scheme;
  return scheme;
}

/** Remembers the operator's choice and applies it everywhere at once. */
export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') window.localStorage.removeItem(storageKey);
    else window.localStorage.setItem(storageKey, choice);
  } catch {
    // Storage disabled: the choice still holds until the window closes.
  }
  applyColorScheme();
  window.dispatchEvent(new Event(changed));
}

/** The operator's choice, live. */
export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(subscribe, readChoice);
}

/** The scheme in force, live. */
export function useColorScheme(): ColorScheme {
  return useSyncExternalStore(subscribe, current);
}
