/**
 * Settings → Agents (leads only): register a coding agent for repositories and hand its credential over
 * once (with the exact `claude mcp add …` line), see each agent's latest activity, revoke one.
 *
 * Everything goes through the contract's `agent:*` channels; main refuses anyone but a lead whatever
 * this section shows.
 */
import { useState, type FormEvent } from 'react';
import type { ChannelOutput } from '../../../shared/ipc/contract';
import type { Role } from '../../../shared/model/domain';
import { canCall } from '../../api/access';
import { useAddAgent, useAgents, useRevokeAgent } from '../../api/agents';
import { useGatehouseEvent } from '../../api/hooks';
import { useRepositories } from '../../api/review';
import { CopyBox } from '../../components/CopyBox';
import { Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import { TimeAgo } from '../../components/time';

const NAME_PATTERN = '[a-z][a-z0-9\\-]{1,39}';

/** The Agents section of Settings; renders nothing for a role that may not list agents. */
export function AgentsSection({ role }: { readonly role: Role }) {
  if (!canCall(role, 'agent:list')) return null;
  return <Agents />;
}

function Agents() {
  const agents = useAgents();
  const repositories = useRepositories();
  const [revoking, setRevoking] = useState<string | null>(null);
  // An agent's call lands in the audit log: its last activity moves.
  useGatehouseEvent('proposal:arrived', () => void agents.refetch());
  const names = new Map((repositories.data ?? []).map((repository) => [repository.id, repository.name] as const));
  return (
    <section className="card settings-section" aria-labelledby="agents-title" data-testid="settings-agents">
      <h2 id="agents-title">Agents</h2>
      <p className="muted small">
        Coding agents propose changes through <code>gatehouse mcp --agent NAME</code>. An agent can propose, revise, read and withdraw its own
        proposals in the repositories it is registered for; it can never approve, reject, apply, roll back or read keys.
      </p>
      {agents.isPending ? (
        <Loading label="Loading agents…" />
      ) : agents.isError ? (
        <ErrorNote title="Could not list agents" error={agents.error} onRetry={() => void agents.refetch()} />
      ) : agents.data.length === 0 ? (
        <EmptyState title="No agents registered." testId="agents-empty">
          <p>Register one below and give it the credential.</p>
        </EmptyState>
      ) : (
        <table className="data-table" data-testid="agent-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Repositories</th>
              <th scope="col">Last activity</th>
              <th scope="col">Registered</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {agents.data.map((agent) => (
              <tr key={agent.id} data-testid="agent-row" data-name={agent.name} data-revoked={agent.revokedAt === null ? 'false' : 'true'}>
                <td>
                  <code>{agent.name}</code>
                </td>
                <td>{agent.repositories.map((id) => names.get(id) ?? id).join(', ')}</td>
                <td data-testid="agent-last-activity" data-action={agent.lastActivity?.action ?? ''}>
                  {agent.lastActivity === null ? (
                    <span className="muted">never connected</span>
                  ) : (
                    <>
                      <code className="small">{agent.lastActivity.action}</code> <TimeAgo iso={agent.lastActivity.at} />
                    </>
                  )}
                </td>
                <td>
                  <TimeAgo iso={agent.createdAt} /> by {agent.createdBy}
                </td>
                <td>
                  {agent.revokedAt === null ? (
                    <button type="button" className="link-button danger-text" onClick={() => setRevoking(agent.name)} data-testid="agent-revoke" aria-label={`Revoke ${agent.name}`}>
                      Revoke…
                    </button>
                  ) : (
                    <span className="badge fail">
                      revoked <TimeAgo iso={agent.revokedAt} />
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RegisterAgent repositories={repositories.data ?? []} />
      <RevokeAgentDialog name={revoking} onClose={() => setRevoking(null)} />
    </section>
  );
}

function RegisterAgent({ repositories }: { readonly repositories: ChannelOutput<'repo:list'> }) {
  const add = useAddAgent();
  const [name, setName] = useState('');
  // Null until the lead picks: then the first repository is proposed.
  const [chosen, setChosen] = useState<ReadonlySet<string> | null>(null);
  const [shown, setShown] = useState<ChannelOutput<'agent:add'> | null>(null);
  const selected = chosen ?? new Set(repositories.slice(0, 1).map((repository) => repository.id));
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    add.mutate(
      { name: name.trim(), repositories: [...selected] },
      {
        onSuccess: (value) => {
          setShown(value);
          setName('');
        },
      },
    );
  };
  const toggle = (id: string): void => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };
  if (shown !== null) {
    return (
      <div className="form" data-testid="agent-registered" data-name={shown.agent.name}>
        <h3>Agent {shown.agent.name} registered</h3>
        <p className="warn-text" role="status">
          The credential is shown this once; only its hash is kept. Copy it now into the agent&apos;s MCP client.
        </p>
        <CopyBox label="Credential (GATEHOUSE_AGENT_TOKEN)" text={shown.credential} testId="agent-credential" rows={2} />
        <CopyBox label="Connect Claude Code" text={shown.claudeCommand} testId="agent-claude-command" rows={3} />
        <p className="muted small">Codex CLI, Cursor and an agent in a container: see “Connect an agent” in the README.</p>
        <button type="button" className="primary" onClick={() => setShown(null)} data-testid="agent-registered-done">
          Done — hide the credential
        </button>
      </div>
    );
  }
  return (
    <form className="form inline-form" onSubmit={submit} aria-label="Register an agent">
      <h3>Register an agent</h3>
      {repositories.length === 0 ? (
        <p className="muted">Register a repository first: an agent proposes to the repositories it is registered for.</p>
      ) : (
        <>
          <label className="field-label">
            Name (2–40 lower-case letters, digits or dashes)
            <input value={name} onChange={(event) => setName(event.target.value)} required pattern={NAME_PATTERN} maxLength={40} data-testid="agent-name-input" />
          </label>
          <fieldset className="field-label">
            <legend>Repositories it may propose to</legend>
            {repositories.map((repository) => (
              <label key={repository.id} className="inline-check">
                <input type="checkbox" checked={selected.has(repository.id)} onChange={() => toggle(repository.id)} data-testid="agent-repository" data-id={repository.id} />
                {repository.name}
              </label>
            ))}
          </fieldset>
          {add.isError && <ErrorNote title="Could not register the agent" error={add.error} testId="agent-add-error" />}
          <button type="submit" className="primary" disabled={add.isPending || name.trim() === '' || selected.size === 0} data-testid="agent-add">
            {add.isPending ? 'Registering…' : 'Register agent'}
          </button>
        </>
      )}
    </form>
  );
}

function RevokeAgentDialog({ name, onClose }: { readonly name: string | null; readonly onClose: () => void }) {
  const revoke = useRevokeAgent();
  const close = (): void => {
    revoke.reset();
    onClose();
  };
  return (
    <Dialog open={name !== null} title="Revoke an agent" onClose={close} testId="agent-revoke-dialog">
      {name !== null && (
        <div className="form">
          <p>
            Revoke <strong>{name}</strong>? Its credential stops working at its next call; its proposals stay in the queue for review.
          </p>
          {revoke.isError && <ErrorNote title="Could not revoke" error={revoke.error} />}
          <div className="row gap end">
            <button type="button" onClick={close} data-testid="agent-revoke-cancel">
              Cancel
            </button>
            <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate({ name }, { onSuccess: close })} data-testid="agent-revoke-confirm">
              Revoke
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
