/**
 * Which contract channels each `gatehouse` command may call, in one table.
 *
 * Every command either works only through the dispatcher (the same schema, session and role checks as
 * the console: a locked call is refused with LOCKED, a wrong role with FORBIDDEN_ROLE), or is an offline
 * tool that reads files the caller names and holds no operator authority. The CLI's `invoke` refuses a
 * channel the running command did not declare here, and test/integration/cli/dispatch.test.ts walks
 * commander's tree and fails on any command missing from this table.
 */
import type { Command } from 'commander';
import type { Channel } from '../../shared/ipc/contract';
import { ErrorCode, GatehouseError } from '../../shared/model/result';

/** How one command reaches the core. */
export type CommandAccess =
  | { readonly kind: 'dispatch'; readonly channels: ReadonlyArray<Channel> }
  | { readonly kind: 'offline'; readonly reason: string };

function dispatch(...channels: Channel[]): CommandAccess {
  return { kind: 'dispatch', channels };
}

function offline(reason: string): CommandAccess {
  return { kind: 'offline', reason };
}

const AUDIT_FILE =
  'works on the audit database or export file the caller names (an auditor copy or the workstation log): it reads or appends the hash chain and never acts as an operator';

/**
 * Every command by its path (`proposal show`), with the channels it calls.
 *
 * `session:unlock` is implied for any command that unlocks `--as NAME`.
 */
export const CLI_ACCESS: Readonly<Record<string, CommandAccess>> = {
  demo: dispatch('app:createDemo'),
  'repo add': dispatch('repo:add'),
  'repo list': dispatch('repo:list'),
  'repo remove': dispatch('repo:remove'),
  'proposal list': dispatch('proposal:list'),
  'proposal show': dispatch('proposal:show'),
  'proposal import': dispatch('proposal:import'),
  approve: dispatch('proposal:show', 'review:viewed', 'proposal:approve'),
  reject: dispatch('proposal:show', 'proposal:reject'),
  revoke: dispatch('approval:revoke'),
  apply: dispatch('proposal:show', 'proposal:apply'),
  'checkpoint list': dispatch('checkpoint:list'),
  'checkpoint create': dispatch('checkpoint:create'),
  'checkpoint show': dispatch('checkpoint:preview'),
  'checkpoint prune': dispatch('checkpoint:prune'),
  rollback: dispatch('checkpoint:rollback'),
  'sandbox run': dispatch('sandbox:run', 'sandbox:exec', 'proposal:show'),
  'operator create': dispatch('operator:create'),
  'operator list': dispatch('operator:list'),
  'operator export-public': dispatch('operator:exportTrust'),
  scan: offline('scans the files and folders named on the command line; opens no data directory'),
  'policy check': offline('validates the policy file named on the command line; opens no data directory'),
  'approval verify': offline('checks a token or DSSE envelope against the trust list file named on the command line'),
  // The CI gate needs no operator: repo:verify is public and trusts only signatures in the repository.
  verify: dispatch('repo:verify'),
  sync: dispatch('repo:sync'),
  'comment add': dispatch('proposal:show', 'comment:draft', 'comment:publish'),
  'comment list': dispatch('comment:list'),
  'comment publish': dispatch('comment:publish'),
  'request-changes': dispatch('proposal:show', 'proposal:requestChanges'),
  'agent add': dispatch('agent:add'),
  'agent list': dispatch('agent:list'),
  'agent revoke': dispatch('agent:revoke'),
  mcp: offline(
    "the MCP server for one registered agent: it refuses to start without the agent's credential, and every tool call goes through the dispatcher in the agent role (electron/mcp/server.ts)",
  ),
  // Unlocks through session:unlock (audited, rate-limited), then serves signatures to this user's later commands.
  'key-agent start': dispatch('session:unlock'),
  'key-agent stop': offline("asks the key agent on this user's own 0700 socket to lock and end; opens no data directory"),
  'key-agent status': offline("asks the key agent on this user's own 0700 socket whom it holds; opens no data directory"),
  'audit append': offline(`${AUDIT_FILE}; it records only the tool and agent roles, never an operator's`),
  'audit verify': offline(AUDIT_FILE),
  'audit export': offline(AUDIT_FILE),
  'audit search': offline(AUDIT_FILE),
  'audit heads': offline(AUDIT_FILE),
};

/**
 * The commands that may unlock `--as NAME` through the key agent (`gatehouse key-agent start`): operations
 * and reading. Any process of this user can reach the agent's socket, an AI agent included, so decisions
 * (approve, reject, request-changes, revoke, comments) and managing who may act (operators, AI agents)
 * always ask for the passphrase, and the agent itself refuses to sign decisions (key-agent.ts).
 */
export const KEY_AGENT_COMMANDS: ReadonlySet<string> = new Set([
  'repo list',
  'proposal list',
  'proposal show',
  'proposal import',
  'apply',
  'checkpoint list',
  'checkpoint create',
  'checkpoint show',
  'checkpoint prune',
  'rollback',
  'sandbox run',
  'operator list',
  'operator export-public',
  'sync',
  'comment list',
  'agent list',
]);

/** A command's path from the program root, e.g. `checkpoint show`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Throws unless `command` declared `channel` in {@link CLI_ACCESS}. */
export function assertDeclared(command: Command, channel: Channel): void {
  const path = commandPath(command);
  const access = CLI_ACCESS[path];
  if (channel === 'session:unlock' && access?.kind === 'dispatch') return;
  if (access?.kind !== 'dispatch' || !access.channels.includes(channel)) {
    throw new GatehouseError(ErrorCode.Internal, `gatehouse ${path} called ${channel}, which it does not declare in electron/cli/access.ts`);
  }
}
