/**
 * Use cases for operators and the unlocked session: create (first run, or by a lead), unlock, lock.
 *
 * The private key never leaves the session manager; IPC sees only the public view.
 */
import type { OperatorView, SessionView } from '../../shared/ipc/channels/session';
import type { Role } from '../../shared/model/domain';
import { ErrorCode, GatehouseError } from '../../shared/model/result';
import type { CallerSession } from '../ipc/dispatch';
import { requireOwnKey } from '../services/identity/key-agent';
import type { RemoteSigner } from '../services/identity/key-agent-client';
import type { Operator, OperatorStore } from '../services/identity/operator-store';
import type { KeyProtector } from '../services/identity/protector';
import type { SessionManager } from '../services/identity/sessions';
import type { AuditTrail } from './audit-trail';
import type { EventBus } from './events';

/** What the operator use cases need. */
export interface OperatorDeps {
  readonly operators: OperatorStore;
  readonly sessions: SessionManager;
  /** The protector new keys are sealed with (passphrase, or OS keystore around it). */
  readonly protector: KeyProtector;
  readonly audit: AuditTrail;
  readonly events: EventBus;
}

/** An operator as IPC shows one. */
export function operatorView(operator: Operator): OperatorView {
  return {
    id: operator.id,
    name: operator.name,
    role: operator.role,
    email: operator.email,
    keyId: operator.keyId,
    createdAt: operator.createdAt,
  };
}

/** The session as IPC shows it. */
export function sessionView(deps: OperatorDeps): SessionView {
  const info = deps.sessions.info();
  if (!info) return null;
  const operator = deps.operators.findById(info.operatorId);
  if (!operator) return null;
  return { operator: operatorView(operator), unlockedAt: info.unlockedAt, locksAt: info.locksAt };
}

/** The caller as dispatch sees it (role from main's session, never from the renderer). */
export function callerSession(deps: OperatorDeps): CallerSession | null {
  const session = deps.sessions.current();
  return session ? { operatorId: session.operatorId, name: session.name, role: session.role } : null;
}

/**
 * Creates an operator. With no operators yet anyone may create the first (first run); afterwards only
 * an unlocked lead may.
 */
export async function createOperator(
  deps: OperatorDeps,
  input: { readonly name: string; readonly role: Role; readonly passphrase: string; readonly email?: string | undefined },
): Promise<OperatorView> {
  const firstRun = deps.operators.list().length === 0;
  if (!firstRun) {
    const session = deps.sessions.current();
    if (!session) throw new GatehouseError(ErrorCode.Locked, 'creating an operator needs an unlocked lead');
    if (session.role !== 'lead') throw new GatehouseError(ErrorCode.ForbiddenRole, `creating an operator needs a lead; ${session.name} is a ${session.role}`);
    requireOwnKey(session, 'creating an operator');
  }
  return registerOperator(deps, input, { firstRun });
}

/** Creates an operator without the permission check (the caller has done it); audited. */
export async function registerOperator(
  deps: OperatorDeps,
  input: { readonly name: string; readonly role: Role; readonly passphrase: string; readonly email?: string | undefined },
  context: { readonly firstRun?: boolean; readonly demo?: boolean } = {},
): Promise<OperatorView> {
  const operator = await deps.operators.create({
    name: input.name,
    role: input.role,
    email: input.email ?? null,
    passphrase: input.passphrase,
    protector: deps.protector,
  });
  deps.audit.record({
    action: 'operator.created',
    subject: `operator:${operator.name}`,
    payload: {
      operatorId: operator.id,
      role: operator.role,
      keyId: operator.keyId,
      protection: operator.protection,
      firstRun: context.firstRun ?? false,
      demo: context.demo ?? false,
    },
  });
  return operatorView(operator);
}

/** Unlocks an operator's key; failures are audited (by the session manager's callback) and rate-limited. */
export async function unlockOperator(deps: OperatorDeps, name: string, passphrase: string): Promise<SessionView> {
  const session = await deps.sessions.unlock(name, passphrase);
  deps.audit.record({
    action: 'operator.unlocked',
    subject: `operator:${session.name}`,
    payload: { operatorId: session.operatorId, keyId: session.keyId },
  });
  deps.events.emit('session:changed', { operator: session.name, role: session.role });
  return sessionView(deps);
}

/**
 * Unlocks an operator whose key a key agent holds (the CLI with GATEHOUSE_AGENT_SOCK): no passphrase,
 * the agent proves it holds the stored key and signs for the session. Audited like a passphrase unlock,
 * with the agent named.
 */
export async function unlockOperatorWithKeyAgent(deps: OperatorDeps, name: string, agent: RemoteSigner): Promise<SessionView> {
  const session = await deps.sessions.adoptKeyAgent(name, agent);
  deps.audit.record({
    action: 'operator.unlocked',
    subject: `operator:${session.name}`,
    payload: { operatorId: session.operatorId, keyId: session.keyId, via: 'key-agent', agentPid: agent.pid },
  });
  deps.events.emit('session:changed', { operator: session.name, role: session.role });
  return sessionView(deps);
}

/** Locks the session. */
export function lockSession(deps: OperatorDeps): { locked: true } {
  deps.sessions.lock();
  return { locked: true };
}
