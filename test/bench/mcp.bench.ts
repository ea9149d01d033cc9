/**
 * MCP server benchmarks: `node --import tsx test/bench/mcp.bench.ts` (BENCH_QUICK=1 for fewer rounds).
 *
 * A real `gatehouse mcp --agent bench` child process, driven by the official SDK's Client over stdio,
 * and an open "console" core in this process on the same data directory (the demo workspace), whose
 * main-side audit-log watch announces new proposals. Prints one JSON line per figure on stdout:
 * - `mcp.propose.roundtrip_ms` p50/p95: one small propose_change, call to answer (import + analysis);
 * - `mcp.propose.to_console_event_ms` p50/p95: call start → `proposal:arrived` in the console;
 * - `mcp.propose.audit_to_event_ms` p50/p95: the `agent.proposed` audit event's time (written by the MCP
 *   process) → `proposal:arrived` in the console: how late the console's watch hears of a commit;
 * - `mcp.propose.to_console_queue_ms` p50/p95: call start → the row in the console's `proposal:list`;
 * - `mcp.propose.throughput` for 100 small proposals, sequential and 4 in flight on one connection;
 * The per-connection call limit (default 20/s) is raised to 500/s here so that it is not what is measured.
 * - the peer: native git writing the same change as a branch (`git apply --cached` into a temporary
 *   index, `write-tree`, `commit-tree`, `update-ref`), without review, analysis or audit.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCore } from '../../electron/core/create-core';
import { createDispatcher } from '../../electron/ipc/dispatch';
import type { Channel, ChannelInput, ChannelOutput, EventPayload } from '../../shared/ipc/contract';

const QUICK = process.env['BENCH_QUICK'] === '1';
const LATENCY_ROUNDS = QUICK ? 8 : 20;
const THROUGHPUT_PROPOSALS = QUICK ? 30 : 100;
const root = join(__dirname, '..', '..');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra, load_avg: loadavg()[0] })}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[mcp bench] ${message}\n`);
}

function percentile(values: ReadonlyArray<number>, p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function newFileDiff(path: string, line: string): string {
  return `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+${line}\n`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-bench-mcp-'));
  const core = await createCore({ dataDir, shell: { shell: 'cli', electron: null, chromium: null }, logger: quiet, watchAgents: true });
  const dispatch = createDispatcher({ handlers: core.handlers, allowedOrigins: ['bench:'], session: () => core.callerSession(), logger: quiet });
  const value = async <C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    const result = await dispatch({ fromOurWindow: true, fromTopFrame: true, origin: 'bench:' }, channel, input);
    if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
    return result.value as ChannelOutput<C>;
  };
  let client: Client | null = null;
  try {
    const { repositoryId } = await value('app:createDemo', {});
    const repoPath = core.context.registry.get(repositoryId).path;
    const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: dataDir };
    const git = (args: string[], extraEnv: Record<string, string> = {}, input?: string) =>
      execFileSync('git', args, { cwd: repoPath, env: { ...gitEnv, ...extraEnv }, encoding: 'utf8', ...(input === undefined ? {} : { input }) }).trim();
    // Lift the bench agent's rate limit in the target branch's policy (a lead's edit).
    const policyFile = join(repoPath, '.gatehouse/policy.yaml');
    writeFileSync(policyFile, `${readFileSync(policyFile, 'utf8')}\nagents:\n  byAgent:\n    bench:\n      proposalsPerHour: 10000\n`);
    git(['commit', '-qam', 'Policy: bench agent limits']);
    await value('session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' });
    const { credential } = await value('agent:add', { name: 'bench', repositories: [repositoryId] });

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', join(root, 'electron/cli/main.ts'), '--data-dir', dataDir, 'mcp', '--agent', 'bench', '--calls-per-second', '500'],
      env: { ...(process.env as Record<string, string>), GATEHOUSE_AGENT_TOKEN: credential },
      cwd: root,
      stderr: 'ignore',
    });
    client = new Client({ name: 'gatehouse-bench', version: '1.0.0' });
    await client.connect(transport);
    const connected = client;
    let n = 0;
    const propose = async (): Promise<{ proposalId: string; ms: number }> => {
      n += 1;
      const name = `bench-${n}`;
      const started = performance.now();
      const result = (await connected.callTool({
        name: 'propose_change',
        arguments: { repositoryId, title: `Bench proposal ${n}`, name, change: { format: 'diff', diff: newFileDiff(`docs/bench-${n}.md`, `note ${n}`) } },
      })) as CallToolResult;
      if (result.isError) throw new Error(JSON.stringify(result.content));
      return { proposalId: name, ms: performance.now() - started };
    };

    // Warm up: the MCP process starts its analysis workers on the first proposal.
    await propose();

    progress(`latency: ${LATENCY_ROUNDS} rounds`);
    const roundtrip: number[] = [];
    const toEvent: number[] = [];
    const toQueue: number[] = [];
    const auditToEvent: number[] = [];
    for (let round = 0; round < LATENCY_ROUNDS; round += 1) {
      const expected = `bench-${n + 1}`;
      const started = performance.now();
      let heardAtWall = 0;
      const arrived = new Promise<number>((resolve) => {
        const stop = core.events.subscribe((event, payload) => {
          if (event === 'proposal:arrived' && (payload as EventPayload<'proposal:arrived'>).proposalId === expected) {
            stop();
            heardAtWall = Date.now();
            resolve(performance.now());
          }
        });
      });
      const done = await propose();
      roundtrip.push(done.ms);
      const eventAt = await arrived;
      toEvent.push(eventAt - started);
      const written = core.context.auditStore.search({ action: 'agent.proposed', subject: `proposal:${repositoryId}/${expected}`, limit: 1 }).events[0];
      if (written === undefined) throw new Error(`no agent.proposed event for ${expected}`);
      auditToEvent.push(heardAtWall - Date.parse(written.ts));
      // What an open console does on the event: refetch the queue.
      const rows = await value('proposal:list', { repositoryId });
      if (!rows.some((r) => r.proposalId === expected)) throw new Error(`${expected} is not in the queue`);
      toQueue.push(performance.now() - started);
    }
    for (const [figure, values] of [
      ['mcp.propose.roundtrip_ms', roundtrip],
      ['mcp.propose.to_console_event_ms', toEvent],
      ['mcp.propose.audit_to_event_ms', auditToEvent],
      ['mcp.propose.to_console_queue_ms', toQueue],
    ] as const) {
      emit(figure, percentile(values, 50), 'ms', { p95: Math.round(percentile(values, 95) * 100) / 100, rounds: values.length });
    }

    progress(`throughput: ${THROUGHPUT_PROPOSALS} proposals, sequential`);
    let started = performance.now();
    for (let i = 0; i < THROUGHPUT_PROPOSALS; i += 1) await propose();
    let seconds = (performance.now() - started) / 1000;
    emit('mcp.propose.throughput_sequential', THROUGHPUT_PROPOSALS / seconds, 'proposals/s', { proposals: THROUGHPUT_PROPOSALS, seconds: Math.round(seconds * 100) / 100 });

    progress(`throughput: ${THROUGHPUT_PROPOSALS} proposals, 4 in flight`);
    started = performance.now();
    let remaining = THROUGHPUT_PROPOSALS;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (remaining > 0) {
          remaining -= 1;
          await propose();
        }
      }),
    );
    seconds = (performance.now() - started) / 1000;
    emit('mcp.propose.throughput_parallel4', THROUGHPUT_PROPOSALS / seconds, 'proposals/s', { proposals: THROUGHPUT_PROPOSALS, seconds: Math.round(seconds * 100) / 100 });

    progress(`peer: native git, ${THROUGHPUT_PROPOSALS} branches`);
    const index = join(dataDir, 'peer-index');
    started = performance.now();
    for (let i = 0; i < THROUGHPUT_PROPOSALS; i += 1) {
      const env = { GIT_INDEX_FILE: index };
      git(['read-tree', 'main'], env);
      git(['apply', '--cached'], env, newFileDiff(`docs/peer-${i}.md`, `note ${i}`));
      const tree = git(['write-tree'], env);
      const commit = git(['commit-tree', tree, '-p', 'main', '-m', `Peer ${i}`]);
      git(['update-ref', `refs/heads/peer/${i}`, commit]);
    }
    seconds = (performance.now() - started) / 1000;
    emit('mcp.peer.native_git_branch_throughput', THROUGHPUT_PROPOSALS / seconds, 'branches/s', { branches: THROUGHPUT_PROPOSALS, seconds: Math.round(seconds * 100) / 100 });
  } finally {
    await client?.close();
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
