/**
 * Single-key shortcuts (j/k, n/p, a/r, ?). Keys typed into a form field are never taken; keys in the
 * read-only diff editor are, except inside its find box.
 */
import { useEffect, useRef } from 'react';

/** One documented shortcut. */
export interface ShortcutHelp {
  readonly keys: string;
  readonly does: string;
}

/** Every shortcut, by where it works, for the `?` list. */
export const shortcutList: ReadonlyArray<{ readonly where: string; readonly shortcuts: ReadonlyArray<ShortcutHelp> }> = [
  {
    where: 'Everywhere',
    shortcuts: [
      { keys: '?', does: 'Show this list' },
      { keys: 'g q', does: 'Go to the queue' },
      { keys: 'g a', does: 'Go to the audit log' },
      { keys: 'g c', does: 'Go to checkpoints' },
      { keys: 'g s', does: 'Go to settings' },
      { keys: 'Esc', does: 'Close a dialog' },
    ],
  },
  {
    where: 'Queue',
    shortcuts: [
      { keys: 'j / k', does: 'Next / previous proposal' },
      { keys: 'Enter', does: 'Open the selected proposal' },
      { keys: '/', does: 'Search' },
    ],
  },
  {
    where: 'Review',
    shortcuts: [
      { keys: 'j / k', does: 'Next / previous file' },
      { keys: 'n / p', does: 'Next / previous finding' },
      { keys: 'v', does: 'Mark the file viewed' },
      { keys: 'i', does: 'Toggle inline / side by side' },
      { keys: 'w', does: 'Hide / show whitespace changes' },
      { keys: 'a', does: 'Approve (opens the decision dialog)' },
      { keys: 'r', does: 'Reject (opens the decision dialog)' },
      { keys: 'c', does: 'Request changes (publishes your draft comments)' },
    ],
  },
  {
    where: 'Audit',
    shortcuts: [
      { keys: 'j / k', does: 'Next / previous event' },
      { keys: '/', does: 'Search' },
    ],
  },
];

/** Whether a key event comes from somewhere that types text. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('.monaco-editor') !== null) {
    // The diff editor is read-only: its keys are ours, but its find/replace box types text.
    return target.closest('.find-widget') !== null;
  }
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
  }
  return false;
}

/** Key → action while `enabled`; a dialog being open disables every view shortcut. */
export function useShortcuts(bindings: Readonly<Record<string, () => void>>, enabled = true): void {
  const latest = useRef(bindings);
  latest.current = bindings;
  useEffect(() => {
    if (!enabled) return undefined;
    const onKey = (event: KeyboardEvent): void => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTypingTarget(event.target)) return;
      if (document.querySelector('dialog[open]') !== null) return;
      const action = latest.current[event.key];
      if (action === undefined) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
