/**
 * First run: no operator exists yet. Create your own operator (then unlock it), or let Gatehouse build
 * the demo workspace and offer its operators.
 */
import { useState, type FormEvent } from 'react';
import type { Role } from '../../../shared/model/domain';
import { useCreateDemo } from '../../api/app';
import { useCreateAndUnlock } from '../../api/session';
import { ErrorNote } from '../../components/ErrorNote';
import { Progress } from '../../components/Progress';
import type { DemoWorkspace } from '../session/demo';
import { FieldRule, NAME_RULE, nameProblem, PASSPHRASE_RULE, passphraseProblem, useCheckedField } from '../session/operator-rules';

const roles: ReadonlyArray<{ readonly role: Role; readonly what: string }> = [
  { role: 'lead', what: 'approves, applies, rolls back, manages repositories and operators' },
  { role: 'reviewer', what: 'reviews, runs the sandbox, approves or rejects, applies' },
  { role: 'auditor', what: 'reads the audit log and verifies it; changes nothing' },
];

/** Props of {@link FirstRunView}. */
export interface FirstRunViewProps {
  readonly onDemoCreated: (demo: DemoWorkspace) => void;
}

/** The first-run screen. */
export function FirstRunView({ onDemoCreated }: FirstRunViewProps) {
  const createDemo = useCreateDemo(onDemoCreated);
  const createOperator = useCreateAndUnlock();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('lead');
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const nameField = useCheckedField(name, nameProblem, submitted);
  const passphraseField = useCheckedField(passphrase, passphraseProblem, submitted);
  const mismatch = confirm !== passphrase && (confirm !== '' || submitted);
  // A refusal from main is about what was sent: it goes away as soon as the user changes a field.
  const edited = (set: (value: string) => void) => (value: string) => {
    set(value);
    if (createOperator.isError) createOperator.reset();
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (passphrase !== confirm || nameField.problem !== null || passphraseField.problem !== null) return;
    createOperator.mutate({ name, role, passphrase });
  };

  return (
    <main className="centered-page" data-testid="first-run-view">
      <div className="first-run">
        <header>
          <h1>Welcome to Gatehouse</h1>
          <p className="muted">
            Review code changes proposed by AI agents: read the diff and its findings, run the tests in a sandbox,
            sign a decision, apply through policy, and keep a log anyone can verify.
          </p>
        </header>
        <div className="two-columns">
          <section className="card" aria-labelledby="demo-title">
            <h2 id="demo-title">Try the demo workspace</h2>
            <p>
              Gatehouse builds a real git repository with four proposals — a harmless refactor, an <code>eval</code> of
              user input, a committed cloud access key, and a sandbox-escape attempt with a failing test — plus a
              reviewer, a lead and an auditor to sign in as.
            </p>
            {createDemo.isPending && <Progress label="Building the demo workspace" testId="demo-progress" />}
            {createDemo.isError && <ErrorNote title="Could not build the demo" error={createDemo.error} testId="demo-error" />}
            <button
              type="button"
              className="primary"
              disabled={createDemo.isPending}
              data-testid="open-demo"
              onClick={() => createDemo.mutate({})}
            >
              Open the demo workspace
            </button>
          </section>
          <section className="card" aria-labelledby="create-title">
            <h2 id="create-title">Create your operator</h2>
            <form className="form" onSubmit={submit} aria-label="Create your operator" noValidate>
              <label className="field-label">
                Name
                <input
                  value={name}
                  onChange={(event) => edited(setName)(event.target.value)}
                  onBlur={nameField.touch}
                  required
                  maxLength={64}
                  aria-invalid={nameField.shown !== null}
                  aria-describedby="create-name-rule"
                  data-testid="create-name"
                  autoComplete="username"
                />
                <FieldRule id="create-name-rule" rule={NAME_RULE} field={nameField} testId="create-name-rule" />
              </label>
              <fieldset className="field-set">
                <legend>Role</legend>
                {roles.map((option) => (
                  <label key={option.role} className="radio-line">
                    <input
                      type="radio"
                      name="role"
                      value={option.role}
                      checked={role === option.role}
                      onChange={() => setRole(option.role)}
                      data-testid={`create-role-${option.role}`}
                    />
                    <strong>{option.role}</strong> <span className="muted">— {option.what}</span>
                  </label>
                ))}
              </fieldset>
              <label className="field-label">
                Passphrase
                <input
                  type="password"
                  value={passphrase}
                  onChange={(event) => edited(setPassphrase)(event.target.value)}
                  onBlur={passphraseField.touch}
                  required
                  minLength={12}
                  aria-invalid={passphraseField.shown !== null}
                  aria-describedby="create-passphrase-rule"
                  data-testid="create-passphrase"
                  autoComplete="new-password"
                />
                <FieldRule id="create-passphrase-rule" rule={PASSPHRASE_RULE} field={passphraseField} testId="create-passphrase-rule" />
              </label>
              <label className="field-label">
                Passphrase again
                <input
                  type="password"
                  value={confirm}
                  onChange={(event) => edited(setConfirm)(event.target.value)}
                  required
                  aria-invalid={mismatch}
                  data-testid="create-confirm"
                  autoComplete="new-password"
                />
              </label>
              {mismatch && (
                <p className="warn-text" role="alert" data-testid="create-mismatch">
                  The passphrases differ.
                </p>
              )}
              {createOperator.isError && <ErrorNote title="Could not create the operator" error={createOperator.error} testId="create-error" />}
              <button type="submit" className="primary" disabled={createOperator.isPending || mismatch} data-testid="create-submit">
                {createOperator.isPending ? 'Creating the key pair…' : 'Create and unlock'}
              </button>
            </form>
          </section>
        </div>
      </div>
    </main>
  );
}
