/** Settings: repositories, the policy in force and its validation, Docker and runtime, operators. */
import { useState, type FormEvent } from 'react';
import type { RepositoryView } from '../../../shared/ipc/channels/review';
import { Role } from '../../../shared/model/domain';
import { canCall, canCreateOperators } from '../../api/access';
import { useAppInfo, useHealth } from '../../api/app';
import { usePolicy, useValidatePolicy } from '../../api/audit';
import { useAddRepository, useRemoveRepository, useRepositories } from '../../api/review';
import { useCreateOperator, useOperators } from '../../api/session';
import { FieldRule, NAME_RULE, nameProblem, PASSPHRASE_RULE, passphraseProblem, useCheckedField } from '../session/operator-rules';
import { RoleBadge } from '../../components/badges';
import { Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import { TimeAgo } from '../../components/time';
import { CheckpointRetention } from './CheckpointRetention';
import { AgentsSection } from './AgentsSection';

/** The settings view. */
export function SettingsView({ role }: { readonly role: Role }) {
  return (
    <main className="view settings-view" data-testid="settings-view">
      <h1 className="view-title">Settings</h1>
      <Repositories role={role} />
      <Policy />
      <Environment />
      <Operators role={role} />
      <CheckpointRetention role={role} />
      <AgentsSection role={role} />
    </main>
  );
}

function Repositories({ role }: { readonly role: Role }) {
  const repositories = useRepositories();
  const add = useAddRepository();
  const [removing, setRemoving] = useState<RepositoryView | null>(null);
  const [path, setPath] = useState('');
  const [targetBranch, setTargetBranch] = useState('main');
  const [proposalPattern, setProposalPattern] = useState('refs/heads/proposals/*');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    add.mutate({ path: path.trim(), targetBranch: targetBranch.trim(), proposalPattern: proposalPattern.trim() }, { onSuccess: () => setPath('') });
  };
  const canRemove = canCall(role, 'repo:remove');
  return (
    <section className="card settings-section" aria-labelledby="repos-title" data-testid="settings-repositories">
      <h2 id="repos-title">Repositories</h2>
      {repositories.isPending ? (
        <Loading label="Loading repositories…" />
      ) : repositories.isError ? (
        <ErrorNote title="Could not list repositories" error={repositories.error} onRetry={() => void repositories.refetch()} />
      ) : repositories.data.length === 0 ? (
        <EmptyState title="No repositories registered." testId="repos-empty">
          <p>{canCall(role, 'repo:add') ? 'Add a local git repository below.' : 'A lead registers repositories here.'}</p>
        </EmptyState>
      ) : (
        <table className="data-table" data-testid="repo-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Path</th>
              <th scope="col">Target branch</th>
              <th scope="col">Proposals</th>
              <th scope="col">Added</th>
              {canRemove && <th scope="col" />}
            </tr>
          </thead>
          <tbody>
            {repositories.data.map((repository) => (
              <tr key={repository.id} data-testid="repo-row" data-id={repository.id}>
                <td>{repository.name}</td>
                <td>
                  <code className="break">{repository.path}</code>
                </td>
                <td>{repository.targetBranch}</td>
                <td>
                  <code>{repository.proposalPattern}</code>
                </td>
                <td>
                  <TimeAgo iso={repository.addedAt} />
                </td>
                {canRemove && (
                  <td>
                    <button type="button" className="link-button danger-text" onClick={() => setRemoving(repository)} data-testid="repo-remove" aria-label={`Forget ${repository.name}`}>
                      Forget…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canCall(role, 'repo:add') && (
        <form className="form inline-form" onSubmit={submit} aria-label="Register a repository">
          <h3>Register a repository</h3>
          <div className="row gap wrap">
            <label className="field-label grow">
              Path of a local git repository
              <input value={path} onChange={(event) => setPath(event.target.value)} required placeholder="/home/me/src/service" data-testid="repo-path" />
            </label>
            <label className="field-label">
              Target branch
              <input value={targetBranch} onChange={(event) => setTargetBranch(event.target.value)} required data-testid="repo-branch" />
            </label>
            <label className="field-label">
              Proposal ref pattern
              <input value={proposalPattern} onChange={(event) => setProposalPattern(event.target.value)} required data-testid="repo-pattern" />
            </label>
          </div>
          {add.isError && <ErrorNote title="Could not register" error={add.error} testId="repo-add-error" />}
          <button type="submit" className="primary" disabled={add.isPending || path.trim() === ''} data-testid="repo-add">
            {add.isPending ? 'Registering…' : 'Register'}
          </button>
        </form>
      )}
      <RemoveRepositoryDialog repository={removing} onClose={() => setRemoving(null)} />
    </section>
  );
}

function RemoveRepositoryDialog({ repository, onClose }: { readonly repository: RepositoryView | null; readonly onClose: () => void }) {
  const remove = useRemoveRepository();
  const close = (): void => {
    remove.reset();
    onClose();
  };
  return (
    <Dialog open={repository !== null} title="Forget a repository" onClose={close} testId="repo-remove-dialog">
      {repository !== null && (
        <div className="form">
          <p>
            Forget <strong>{repository.name}</strong> (<code>{repository.path}</code>)? Its files, branches and checkpoints stay on disk; its
            proposals leave the queue. The audit log keeps its history.
          </p>
          {remove.isError && <ErrorNote title="Could not forget" error={remove.error} />}
          <div className="row gap end">
            <button type="button" onClick={close} data-testid="repo-remove-cancel">
              Cancel
            </button>
            <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate({ repositoryId: repository.id }, { onSuccess: close })} data-testid="repo-remove-confirm">
              Forget
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function Policy() {
  const repositories = useRepositories();
  const [chosen, setChosen] = useState<string | null>(null);
  const repositoryId = chosen ?? repositories.data?.[0]?.id ?? null;
  const policy = usePolicy(repositoryId);
  const validate = useValidatePolicy();
  const [draft, setDraft] = useState<{ readonly forDigest: string | null; readonly text: string } | null>(null);
  const text = draft !== null && draft.forDigest === (policy.data?.digest ?? null) ? draft.text : (policy.data?.text ?? '');
  return (
    <section className="card settings-section" aria-labelledby="policy-title" data-testid="settings-policy">
      <h2 id="policy-title">Policy</h2>
      <p className="muted small">
        The policy in force is read from the repository's target branch (or the workspace), never from a proposal. Change it there, through a
        reviewed proposal; here you can read it and check a draft.
      </p>
      {repositories.data !== undefined && repositories.data.length > 1 && (
        <select aria-label="Repository" value={repositoryId ?? ''} onChange={(event) => setChosen(event.target.value)} data-testid="policy-repository">
          {repositories.data.map((repository) => (
            <option key={repository.id} value={repository.id}>
              {repository.name}
            </option>
          ))}
        </select>
      )}
      {repositoryId === null ? (
        <p className="muted">Register a repository to see its policy.</p>
      ) : policy.isPending ? (
        <Loading label="Reading the policy…" />
      ) : policy.isError ? (
        <ErrorNote title="Could not read the policy" error={policy.error} onRetry={() => void policy.refetch()} />
      ) : (
        <>
          <p>
            Source <code data-testid="policy-source">{policy.data.source}</code>{' '}
            <span className={`badge ${policy.data.valid ? 'pass' : 'fail'}`} data-testid="policy-valid" data-valid={policy.data.valid ? 'true' : 'false'}>
              {policy.data.valid ? 'valid' : 'invalid'}
            </span>
            {policy.data.digest !== null && (
              <>
                {' '}
                digest <code className="small">{policy.data.digest}</code>
              </>
            )}
          </p>
          <Problems problems={policy.data.problems} testId="policy-problems" />
          <label className="field-label">
            Policy text (edit to try a change; nothing is saved)
            <textarea
              className="mono"
              rows={14}
              spellCheck={false}
              value={text}
              onChange={(event) => setDraft({ forDigest: policy.data.digest, text: event.target.value })}
              data-testid="policy-text"
            />
          </label>
          <div className="row gap">
            <button type="button" onClick={() => validate.mutate({ text })} disabled={validate.isPending} data-testid="policy-validate">
              {validate.isPending ? 'Validating…' : 'Validate'}
            </button>
            {validate.isSuccess && (
              <span className={validate.data.valid ? 'ok-text' : 'warn-text'} data-testid="policy-validate-result" data-valid={validate.data.valid ? 'true' : 'false'}>
                {validate.data.valid ? 'Valid.' : `${validate.data.problems.length} problem${validate.data.problems.length === 1 ? '' : 's'}.`}
              </span>
            )}
          </div>
          {validate.isError && <ErrorNote title="Validation failed" error={validate.error} />}
          {validate.isSuccess && <Problems problems={validate.data.problems} testId="policy-draft-problems" />}
        </>
      )}
    </section>
  );
}

function Problems({
  problems,
  testId,
}: {
  readonly problems: ReadonlyArray<{ readonly path: string; readonly line: number | null; readonly message: string }>;
  readonly testId: string;
}) {
  if (problems.length === 0) return null;
  return (
    <ul className="problems" data-testid={testId}>
      {problems.map((problem, index) => (
        <li key={index}>
          {problem.line !== null && <span className="muted">line {problem.line}: </span>}
          {problem.path !== '' && <code>{problem.path}</code>} {problem.message}
        </li>
      ))}
    </ul>
  );
}

function Environment() {
  const info = useAppInfo();
  const health = useHealth();
  return (
    <section className="card settings-section" aria-labelledby="env-title" data-testid="settings-environment">
      <h2 id="env-title">Environment</h2>
      {info.isPending ? (
        <Loading label="Reading the environment…" />
      ) : info.isError ? (
        <ErrorNote error={info.error} onRetry={() => void info.refetch()} />
      ) : (
        <dl className="facts">
          <dt>Version</dt>
          <dd>
            {info.data.name} {info.data.version}
          </dd>
          <dt>Shell</dt>
          <dd>
            {info.data.shell === 'electron' ? 'Electron' : 'Chromium bridge (no Electron binary)'}
            {info.data.versions.electron !== null && ` · Electron ${info.data.versions.electron}`}
            {info.data.versions.chromium !== null && ` · Chromium ${info.data.versions.chromium}`} · Node {info.data.versions.node}
          </dd>
          <dt>Data directory</dt>
          <dd>
            <code className="break" data-testid="settings-data-dir">
              {info.data.dataDir}
            </code>
          </dd>
          <dt>Docker</dt>
          <dd data-testid="settings-docker" data-reachable={info.data.docker.reachable ? 'true' : 'false'}>
            {info.data.docker.reachable ? (
              <span className="ok-text">
                reachable{info.data.docker.engineVersion !== null && ` — Engine ${info.data.docker.engineVersion}`}
                {info.data.docker.runcVersion !== null && `, runc ${info.data.docker.runcVersion}`}
              </span>
            ) : (
              <span className="warn-text">not reachable{info.data.docker.reason !== null && ` — ${info.data.docker.reason}`}. Sandbox runs fail closed.</span>
            )}
            {info.data.docker.warnings.length > 0 && (
              <ul className="problems">
                {info.data.docker.warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      )}
      <h3>Self-checks</h3>
      {health.isPending ? (
        <Loading label="Running self-checks…" />
      ) : health.isError ? (
        <ErrorNote error={health.error} onRetry={() => void health.refetch()} />
      ) : (
        <ul className="conditions" data-testid="health-checks" data-ok={health.data.ok ? 'true' : 'false'}>
          {health.data.checks.map((check) => (
            <li key={check.name} className={check.ok ? 'met' : 'unmet'}>
              <span className="condition-icon" aria-label={check.ok ? 'ok' : 'failed'}>
                {check.ok ? '✓' : '✗'}
              </span>
              <strong>{check.name}</strong> — {check.detail}
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={() => void health.refetch()} disabled={health.isFetching} data-testid="health-rerun">
        Run the self-checks again
      </button>
    </section>
  );
}

function Operators({ role }: { readonly role: Role }) {
  const operators = useOperators();
  const create = useCreateOperator();
  const [name, setName] = useState('');
  const [newRole, setNewRole] = useState<Role>('reviewer');
  const [passphrase, setPassphrase] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const nameField = useCheckedField(name, nameProblem, submitted);
  const passphraseField = useCheckedField(passphrase, passphraseProblem, submitted);
  const edited = (set: (value: string) => void) => (value: string) => {
    set(value);
    if (create.isError) create.reset();
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (nameField.problem !== null || passphraseField.problem !== null) return;
    create.mutate(
      { name, role: newRole, passphrase },
      {
        onSuccess: () => {
          setName('');
          setPassphrase('');
          setSubmitted(false);
        },
      },
    );
  };
  return (
    <section className="card settings-section" aria-labelledby="operators-title" data-testid="settings-operators">
      <h2 id="operators-title">Operators</h2>
      {operators.isPending ? (
        <Loading label="Loading operators…" />
      ) : operators.isError ? (
        <ErrorNote error={operators.error} onRetry={() => void operators.refetch()} />
      ) : (
        <table className="data-table" data-testid="operator-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Signing key</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {operators.data.map((operator) => (
              <tr key={operator.id} data-testid="operator-row" data-name={operator.name}>
                <td>{operator.name}</td>
                <td>
                  <RoleBadge role={operator.role} />
                </td>
                <td>
                  <code className="small">{operator.keyId}</code>
                </td>
                <td>
                  <TimeAgo iso={operator.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canCreateOperators(role) && (
        <form className="form inline-form" onSubmit={submit} aria-label="Create an operator" noValidate>
          <h3>Create an operator</h3>
          <p className="muted small">A new Ed25519 key pair is made in the main process and encrypted with the passphrase; give the passphrase to its owner.</p>
          <div className="row gap wrap">
            <label className="field-label">
              Name
              <input
                value={name}
                onChange={(event) => edited(setName)(event.target.value)}
                onBlur={nameField.touch}
                required
                maxLength={64}
                aria-invalid={nameField.shown !== null}
                aria-describedby="operator-name-rule"
                data-testid="operator-name-input"
              />
              <FieldRule id="operator-name-rule" rule={NAME_RULE} field={nameField} testId="operator-name-rule" />
            </label>
            <label className="field-label">
              Role
              <select value={newRole} onChange={(event) => setNewRole(Role.parse(event.target.value))} data-testid="operator-role-input">
                {Role.options.map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </select>
            </label>
            <label className="field-label">
              Passphrase
              <input
                type="password"
                value={passphrase}
                onChange={(event) => edited(setPassphrase)(event.target.value)}
                onBlur={passphraseField.touch}
                required
                minLength={12}
                autoComplete="new-password"
                aria-invalid={passphraseField.shown !== null}
                aria-describedby="operator-passphrase-rule"
                data-testid="operator-passphrase-input"
              />
              <FieldRule id="operator-passphrase-rule" rule={PASSPHRASE_RULE} field={passphraseField} testId="operator-passphrase-rule" />
            </label>
          </div>
          {create.isError && <ErrorNote title="Could not create the operator" error={create.error} testId="operator-create-error" />}
          {create.isSuccess && (
            <p className="ok-text" role="status" data-testid="operator-created">
              Created {create.data.name} ({create.data.role}).
            </p>
          )}
          <button type="submit" className="primary" disabled={create.isPending} data-testid="operator-create">
            {create.isPending ? 'Creating…' : 'Create operator'}
          </button>
        </form>
      )}
    </section>
  );
}
