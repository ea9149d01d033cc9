/**
 * The rules of an operator's name and passphrase, shown before the form is sent and checked as the user
 * types with the contract's own schema (so the console never promises what main refuses).
 */
import { useState } from 'react';
import { channels } from '../../../shared/ipc/contract';

const fields = channels['operator:create'].input.shape;

/** The name rule, in words. */
export const NAME_RULE = '1 to 64 characters: letters, digits, spaces, dots, dashes and underscores.';
/** The passphrase rule, in words. */
export const PASSPHRASE_RULE = 'At least 12 characters. A few unrelated words are easy to remember and hard to guess.';

function problemOf(result: { success: boolean; error?: { issues: ReadonlyArray<{ message: string }> } }): string | null {
  return result.success ? null : (result.error?.issues[0]?.message ?? 'not valid');
}

/** What is wrong with a name, or null. */
export function nameProblem(name: string): string | null {
  return problemOf(fields.name.safeParse(name));
}

/** What is wrong with a passphrase, or null. */
export function passphraseProblem(passphrase: string): string | null {
  return problemOf(fields.passphrase.safeParse(passphrase));
}

/** One checked field: its problem is shown once the user has left it (or tried to submit), and goes away as soon as it is fixed. */
export interface CheckedField {
  readonly problem: string | null;
  /** The problem to show now (null until the field was left or the form submitted). */
  readonly shown: string | null;
  readonly touch: () => void;
}

/** Tracks whether a field was left, to show its problem only then. */
export function useCheckedField(value: string, check: (value: string) => string | null, submitted: boolean): CheckedField {
  const [touched, setTouched] = useState(false);
  const problem = check(value);
  return { problem, shown: touched || submitted ? problem : null, touch: () => setTouched(true) };
}

/** The rule under a field, replaced by the field's problem while there is one to show. */
export function FieldRule({ id, rule, field, testId }: { readonly id: string; readonly rule: string; readonly field: CheckedField; readonly testId: string }) {
  return (
    <span id={id} className={field.shown === null ? 'field-rule muted small' : 'field-rule warn-text small'} aria-live="polite" data-testid={testId} data-problem={field.shown === null ? 'false' : 'true'}>
      {field.shown === null ? rule : `${field.shown}. ${rule}`}
    </span>
  );
}
