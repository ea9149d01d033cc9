/** Unlock an operator's key: pick the operator, type the passphrase; demo operators unlock in one click. */
import { useState, type FormEvent } from 'react';
import type { OperatorView } from '../../../shared/ipc/channels/session';
import { useUnlock } from '../../api/session';
import { RoleBadge } from '../../components/badges';
import { ErrorNote } from '../../components/ErrorNote';
import type { DemoWorkspace } from './demo';

/** What main says about the unlock back-off with a refusal (identity/sessions.ts). */
interface Backoff {
  readonly attemptsLeft: number;
  readonly retryAt: string | null;
}

function backoffOf(error: { readonly details?: unknown }): Backoff | null {
  const details = error.details as { attemptsLeft?: unknown; retryAt?: unknown } | undefined;
  if (typeof details?.attemptsLeft !== 'number') return null;
  return { attemptsLeft: details.attemptsLeft, retryAt: typeof details.retryAt === 'string' ? details.retryAt : null };
}

/** A time as the user's clock shows it: 14:05:30. */
function localTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function backoffText(code: string, backoff: Backoff): string {
  const wait = backoff.retryAt === null ? '' : `; try again at ${localTime(backoff.retryAt)}`;
  return code === 'RATE_LIMITED' ? `too many failed unlocks${wait}` : `wrong operator name or passphrase${wait}`;
}

/** Props of {@link UnlockForm}. */
export interface UnlockFormProps {
  readonly operators: ReadonlyArray<OperatorView>;
  readonly demo: DemoWorkspace | null;
  /** Who is signed in now, when switching. */
  readonly current: string | null;
  readonly onUnlocked?: () => void;
}

/** The unlock form, used on the lock screen and in the switch-operator dialog. */
export function UnlockForm({ operators, demo, current, onUnlocked }: UnlockFormProps) {
  const unlock = useUnlock();
  const others = operators.filter((operator) => operator.name !== current);
  const [name, setName] = useState(others[0]?.name ?? operators[0]?.name ?? '');
  const [passphrase, setPassphrase] = useState('');

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    unlock.mutate(
      { name, passphrase },
      {
        onSuccess: () => {
          setPassphrase('');
          onUnlocked?.();
        },
        // A refused passphrase is never left in the field to be sent again.
        onError: () => setPassphrase(''),
      },
    );
  };
  const backoff = unlock.isError ? backoffOf(unlock.error) : null;
  const unlockDemo = (demoName: string, demoPassphrase: string): void => {
    setName(demoName);
    unlock.mutate({ name: demoName, passphrase: demoPassphrase }, { onSuccess: () => onUnlocked?.() });
  };

  return (
    <div className="unlock" data-testid="unlock-form">
      {demo !== null && (
        <section className="demo-operators" data-testid="demo-operators" aria-label="Demo operators">
          <p>
            The demo workspace is ready at <code data-testid="demo-path">{demo.path}</code>. Unlock one of its
            operators:
          </p>
          <ul className="plain-list">
            {demo.operators
              .filter((operator) => operator.name !== current)
              .map((operator) => (
                <li key={operator.name} className="row gap center">
                  <button
                    type="button"
                    className="primary"
                    disabled={unlock.isPending}
                    data-testid={`demo-unlock-${operator.role}`}
                    data-operator={operator.name}
                    aria-label={`Unlock ${operator.name} (${operator.role})`}
                    onClick={() => unlockDemo(operator.name, operator.passphrase)}
                  >
                    Unlock {operator.name}
                  </button>
                  <RoleBadge role={operator.role} />
                  <span className="muted">
                    passphrase <code>{operator.passphrase}</code>
                  </span>
                </li>
              ))}
          </ul>
        </section>
      )}
      <form onSubmit={submit} className="form" aria-label="Unlock an operator">
        <label className="field-label">
          Operator
          <select value={name} onChange={(event) => setName(event.target.value)} data-testid="unlock-operator" required>
            {operators.map((operator) => (
              <option key={operator.id} value={operator.name}>
                {operator.name} — {operator.role}
                {operator.name === current ? ' (signed in)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="field-label">
          Passphrase
          <input
            type="password"
            autoComplete="current-password"
            value={passphrase}
            onChange={(event) => setPassphrase(event.target.value)}
            data-testid="unlock-passphrase"
            required
          />
        </label>
        {unlock.isError && (
          <ErrorNote
            title="Could not unlock"
            error={backoff === null ? unlock.error : { code: unlock.error.code, message: backoffText(unlock.error.code, backoff) }}
            testId="unlock-error"
          />
        )}
        {backoff !== null && (
          <p
            className="small muted"
            data-testid="unlock-backoff"
            data-attempts-left={backoff.attemptsLeft}
            data-retry-at={backoff.retryAt ?? ''}
            data-retry-local={backoff.retryAt === null ? '' : localTime(backoff.retryAt)}
          >
            {backoff.retryAt === null
              ? `${backoff.attemptsLeft} attempt${backoff.attemptsLeft === 1 ? '' : 's'} left before Gatehouse makes you wait.`
              : `Unlocking ${name} is held back until ${localTime(backoff.retryAt)} (your local time); each further wrong passphrase doubles the wait.`}
          </p>
        )}
        <div className="row gap">
          <button type="submit" className="primary" disabled={unlock.isPending || name === ''} data-testid="unlock-submit">
            {unlock.isPending ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
      </form>
    </div>
  );
}
