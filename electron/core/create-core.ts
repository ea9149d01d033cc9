/**
 * The composition root: opens the data directory's databases, creates every service, and builds the
 * use cases and the IPC handler table on top. The Electron shell, the Chromium bridge, the CLI and the
 * tests all drive a core made here.
 */
import type { DockerStatus } from '../../shared/ipc/channels/app';
import type { Clock } from '../../shared/model/clock';
import type { CallerSession, HandlerTable } from '../ipc/dispatch';
import { createAnalysisPools, type AnalysisPool } from '../services/analysis/pool';
import { openApprovalStore } from '../services/approvals';
import type { Db } from '../services/db/sqlite';
import { resolveRefOrNull } from '../services/git/refs';
import type { OsKeystore } from '../services/identity';
import { loadPolicy } from '../services/policy';
import { createSandbox, type Sandbox } from '../services/sandbox';
import { appHealth, appInfo, type ShellInfo } from './app-info';
import { auditExport, auditSearch, auditVerify, type VerifyControl } from './audit-log';
import { addAgent, agentGet, agentMine, agentPolicy, agentPropose, agentRevise, agentWithdraw, listAgents, migrateAgents, revokeAgent, startAgentWatch } from './agents';
import { deleteDraft, listComments, migrateComments, publishDrafts, requestChanges, reviewStates, saveDraft } from './comments';
import { exportAuditView, verifyAuditExport } from './audit-exports';
import { checkpointCreate, checkpointList, checkpointPreview, checkpointPrune, checkpointRollback, recoverInterruptedOperations, startPeriodicCheckpoints } from './checkpoints';
import type { CoreContext } from './context';
import type { DataLayout } from './data-dir';
import { openCoreFoundation } from './core-foundation';
import { applyThroughGate, decide, exportDsse, revoke } from './decisions';
import { createDemoWorkspace } from './demo/create-demo';
import { verifyRepository } from './verify-repository';
import { syncRepository } from './records';
import { openTrustRoots } from './trust-roots';
import type { EventBus } from './events';
import type { Logger } from './logger';
import { callerSession, createOperator, lockSession, operatorView, sessionView, unlockOperator, type OperatorDeps } from './operators';
import { checkpointLabels, checkpointPreviewLines, rollbackWithReason } from './rollback-preview';
import { createRepositoryHandles, governanceOf, repositoryView, type RepositoryHandles } from './repositories';
import { createAnalysisCache, importProposal, listProposalRows, proposalFile, showProposal, type ReviewDeps } from './review';
import { acknowledgementCheck, openViewedMarkStore, setViewed, viewedFiles } from './viewed-marks';
import { cancelComparison, migrateCore, startComparison, type RunningComparisons } from './sandbox-runs';
import { sandboxExec } from './sandbox-exec';
import { searchProposal } from './proposal-search';
import { serializeTrustList } from '../services/identity/trust-list';

/** What a core needs to start. */
export interface CoreConfig {
  /** The data directory (already resolved; see resolveDataDir). */
  readonly dataDir: string;
  readonly shell: ShellInfo;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Electron's safeStorage in the app; null elsewhere (passphrase only). */
  readonly keystore?: OsKeystore | null;
  /** Who acts when no operator is unlocked (`system` in the app; `cli:<user>` in the CLI). */
  readonly defaultActor?: string;
  /** Take periodic checkpoints (the app does; the CLI and tests do not). */
  readonly periodicCheckpoints?: boolean;
  /** A sandbox service to use instead of one over the local engine. */
  readonly sandbox?: Sandbox;
  /** Milliseconds between seals of what this core recorded in the audit log (default one minute). */
  readonly auditSealIntervalMs?: number;
  /**
   * Watch the audit log for proposals from agents (a `gatehouse mcp` process) and emit
   * `proposal:arrived`; default on in the app and the bridge, off in the CLI.
   */
  readonly watchAgents?: boolean;
}

/** A running core. */
export interface Core {
  readonly layout: DataLayout;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly appDb: Db;
  /** The services and plumbing the use cases share (the CLI uses it directly). */
  readonly context: CoreContext;
  readonly handles: RepositoryHandles;
  readonly review: ReviewDeps;
  readonly operatorDeps: OperatorDeps;
  /** The IPC handler table (every contract channel). */
  readonly handlers: HandlerTable;
  /** Sandbox comparisons and post-apply checks in flight (id → abort). */
  readonly running: RunningComparisons;
  /** Work that outlives its IPC call (sandbox comparisons, post-apply checks); tests may await it. */
  idle(): Promise<void>;
  /** The unlocked operator, or null; checked on every IPC call. */
  callerSession(): CallerSession | null;
  /** Records operator activity (postpones the idle lock). */
  touch(): void;
  /** Updates what `app:info` reports about the shell (the bridge learns Chromium's version after launch). */
  setShellInfo(shell: ShellInfo): void;
  /** Stops timers, cancels sandbox runs, closes databases. */
  close(): Promise<void>;
}

async function dockerStatus(sandbox: Sandbox): Promise<DockerStatus> {
  const probe = await sandbox.probeEngine();
  return {
    reachable: probe.reachable,
    engineVersion: probe.engineVersion ?? null,
    runcVersion: probe.runcVersion ?? null,
    warnings: [...probe.warnings],
    reason: probe.reachable ? null : (probe.reason ?? 'unreachable'),
  };
}

/** Creates a core over a data directory. */
export async function createCore(config: CoreConfig): Promise<Core> {
  const foundation = await openCoreFoundation(config, (db) => {
    migrateCore(db);
    migrateComments(db);
    migrateAgents(db);
  });
  const { layout, clock, logger, events, appDb, auditStore, audit, operators, sessions, registry, stopSealing } = foundation;
  let shell = config.shell;
  const approvals = openApprovalStore(appDb, { clock });
  const sandbox = config.sandbox ?? createSandbox({ clock });
  void sandbox.cleanupStale().catch(() => undefined); // deliberate: an unreachable engine is reported by app:info

  const pools = createAnalysisPools(2);
  const analysis = (deniedImports: ReadonlyArray<string>): AnalysisPool => pools.get(deniedImports);

  const context: CoreContext = {
    layout,
    clock,
    logger,
    events,
    appDb,
    auditStore,
    audit,
    operators,
    sessions,
    protector: foundation.protector,
    approvals,
    registry,
    analysis,
    sandbox,
  };
  const handles = createRepositoryHandles(context);
  const trustRoots = openTrustRoots(appDb);
  const pinRoot = async (repositoryId: string): Promise<void> => {
    const handle = await handles.get(repositoryId);
    const tip = await resolveRefOrNull(handle.repo, `refs/heads/${handle.record.targetBranch}`);
    if (tip !== null) trustRoots.pin(repositoryId, tip, operatorName(), clock.now());
  };
  // Finish or undo a rollback or apply a killed process left half done, before anything else touches a repository.
  await recoverInterruptedOperations(context, handles);
  const review: ReviewDeps = { ctx: context, handles, cache: createAnalysisCache() };
  const viewedMarks = openViewedMarkStore(appDb, clock);
  const operatorDeps: OperatorDeps = { operators, sessions, protector: foundation.protector, audit, events };
  const running: RunningComparisons = new Map();
  const background = new Set<Promise<unknown>>();
  const verifyControl: VerifyControl = { current: null };
  const operatorName = () => sessions.current()?.name ?? config.defaultActor ?? 'system';

  // Idle lock takes effect even when nobody calls: check twice a minute.
  const idleTimer = setInterval(() => sessions.current(), 30_000);
  idleTimer.unref();
  const stopCheckpoints = config.periodicCheckpoints ? startPeriodicCheckpoints(context, handles) : () => undefined;
  const stopAgentWatch = (config.watchAgents ?? config.shell.shell !== 'cli') ? startAgentWatch(context) : () => undefined;

  const handlers = {
    'app:info': () => appInfo(layout.root, shell, () => dockerStatus(sandbox)),
    'app:health': () =>
      appHealth(layout.root, [
        { name: 'app database', run: () => `${layout.appDb} (SQLite ${String((appDb.prepare('select sqlite_version() AS v').get() as { v: string }).v)})` },
        { name: 'audit log', run: () => `${auditStore.count()} events, ${auditStore.heads().length} signed heads` },
      ]),
    'app:createDemo': async () => {
      const demo = await createDemoWorkspace(context, operatorDeps);
      await pinRoot(demo.repositoryId);
      return demo;
    },
    'session:current': () => sessionView(operatorDeps),
    'session:unlock': (input) => unlockOperator(operatorDeps, input.name, input.passphrase),
    'session:lock': () => lockSession(operatorDeps),
    'operator:list': () => operators.list().map(operatorView),
    'operator:create': (input) => createOperator(operatorDeps, input),
    'repo:list': () => registry.list().map(repositoryView),
    'repo:add': async (input) => {
      const record = await registry.add({ path: input.path, targetBranch: input.targetBranch, proposalRefPattern: input.proposalPattern, ...(input.id ? { id: input.id } : {}) });
      // Trust on first use: what the target holds now is the root `gatehouse verify` starts from.
      await pinRoot(record.id);
      audit.record({ action: 'repository.added', subject: `repository:${record.id}`, payload: { path: record.path, targetBranch: record.targetBranch } });
      events.emit('repo:changed', { repositoryId: record.id, what: 'added' });
      return repositoryView(record);
    },
    'repo:remove': (input) => {
      const record = registry.get(input.repositoryId);
      registry.remove(input.repositoryId);
      handles.forget(input.repositoryId);
      audit.record({ action: 'repository.removed', subject: `repository:${record.id}`, payload: { path: record.path } });
      events.emit('repo:changed', { repositoryId: record.id, what: 'removed' });
      return { removed: true as const };
    },
    'proposal:list': (input) => listProposalRows(review, input.repositoryId),
    'proposal:show': (input) => showProposal(review, input.repositoryId, input.proposalId, input.withFirstFile === true),
    'proposal:file': (input) => proposalFile(review, input.repositoryId, input.proposalId, input.path),
    'proposal:search': (input) => searchProposal(review, input),
    'proposal:import': (input) => importProposal(review, input),
    'proposal:approve': async (input) => {
      const view = await decide(review, input, 'approve', input.reason, acknowledgementCheck(viewedMarks, input.acknowledgements));
      publishDrafts(context, input.repositoryId, input.proposalId, { kind: 'approve', jti: view.jti });
      return view;
    },
    'proposal:reject': async (input) => {
      const view = await decide(review, input, 'reject', input.reason);
      publishDrafts(context, input.repositoryId, input.proposalId, { kind: 'reject', jti: view.jti });
      return view;
    },
    'review:viewed': (input) => viewedFiles(review, viewedMarks, input.repositoryId, input.proposalId),
    'review:setViewed': (input) => setViewed(review, viewedMarks, input),
    'proposal:requestChanges': (input) => requestChanges(review, input, input.reason),
    'comment:list': (input, call) => listComments(review, { operatorId: call.session?.operatorId ?? null }, input.repositoryId, input.proposalId),
    'comment:states': (input, call) => reviewStates(review, { operatorId: call.session?.operatorId ?? null }, input.repositoryId),
    'comment:draft': (input) => saveDraft(review, input),
    'comment:delete': (input) => deleteDraft(context, input.commentId),
    'comment:publish': (input) => ({ published: publishDrafts(context, input.repositoryId, input.proposalId, null) }),
    'approval:revoke': (input) => revoke(review, input),
    'approval:exportDsse': (input) => exportDsse(review, input.repositoryId, input.proposalId),
    'proposal:apply': async (input) => {
      const controller = new AbortController();
      const result = await applyThroughGate(review, input, controller.signal);
      // The post-apply check reports through the audit log and events; close() stops and awaits it.
      const id = `post-apply-${result.checkpointId}`;
      running.set(id, controller);
      background.add(result.postApplyDone);
      void result.postApplyDone.finally(() => {
        running.delete(id);
        background.delete(result.postApplyDone);
      });
      return { newHead: result.newHead, checkpointId: result.checkpointId, postApply: result.postApply };
    },
    'sandbox:run': async (input) => {
      const started = await startComparison(context, handles, running, input.repositoryId, input.proposalId);
      // The result arrives as a sandbox:finished event; close() cancels and awaits it.
      background.add(started.done);
      void started.done.finally(() => background.delete(started.done));
      return { runId: started.runId };
    },
    'sandbox:cancel': (input) => cancelComparison(running, input.runId),
    'checkpoint:list': (input) => checkpointList(handles, input.repositoryId),
    'checkpoint:create': (input) => checkpointCreate(context, handles, input.repositoryId, input.reason, operatorName()),
    'checkpoint:preview': (input) => checkpointPreview(handles, input.repositoryId, input.checkpointId),
    'checkpoint:rollback': (input) => checkpointRollback(context, handles, input.repositoryId, input.checkpointId, operatorName()),
    'checkpoint:previewLines': (input) => checkpointPreviewLines(context, handles, input.repositoryId, input.checkpointId),
    'checkpoint:labels': (input) => checkpointLabels(handles, input.repositoryId),
    'checkpoint:rollbackWithReason': (input) => rollbackWithReason(context, handles, input, operatorName()),
    'checkpoint:prune': (input) => checkpointPrune(context, handles, input.repositoryId, { dryRun: input.dryRun, trigger: 'manual' }),
    'audit:search': (input) => auditSearch(context, input),
    'audit:counts': () => auditStore.countsByAction().map((c) => ({ action: c.action, count: c.count })),
    'audit:verify': () => auditVerify(context, verifyControl),
    'audit:verifyCancel': () => {
      const current = verifyControl.current;
      current?.abort();
      return { cancelled: current !== null };
    },
    'audit:export': () => auditExport(context),
    'audit:exportView': (input) => exportAuditView(context, input),
    'audit:verifyExport': (input) => verifyAuditExport(context, input.file),
    'policy:get': async (input) => {
      const handle = await handles.get(input.repositoryId);
      const governance = await governanceOf(context, handle);
      return {
        source: governance.policyOrigin === 'target-branch' ? `${handle.record.targetBranch}:.gatehouse/policy.yaml` : governance.policyOrigin === 'workspace' ? layout.workspacePolicy : 'none',
        text: governance.policyText,
        valid: governance.policy.ok,
        problems: governance.policy.problems.map((p) => ({ path: p.path, line: p.line, message: p.message })),
        digest: governance.policy.digest,
      };
    },
    'repo:verify': (input) => verifyRepository(review, trustRoots, input),
    'repo:sync': async (input) => {
      const result = await syncRepository(context, await handles.get(input.repositoryId), input.remote);
      return { url: result.url, before: result.before, after: result.after, pushed: result.pushed, received: result.received.length, ingested: result.ingested };
    },
    'agent:list': () => listAgents(context),
    'agent:add': (input) => addAgent(context, input),
    'agent:revoke': (input) => revokeAgent(context, input.name),
    'agent:propose': (input, call) => agentPropose(review, call.session, input),
    'agent:revise': (input, call) => agentRevise(review, call.session, input),
    'agent:get': (input, call) => agentGet(review, call.session, input.repositoryId, input.proposalId),
    'agent:mine': (input, call) => agentMine(context, call.session, input.repositoryId),
    'agent:withdraw': (input, call) => agentWithdraw(review, call.session, input.repositoryId, input.proposalId, input.reason),
    'agent:policy': (input, call) => agentPolicy(review, call.session, input.repositoryId),
    'policy:validate': (input) => {
      const result = loadPolicy({ text: input.text });
      return { valid: result.ok, problems: result.problems.map((p) => ({ path: p.path, line: p.line, message: p.message })) };
    },
    'sandbox:exec': (input) => sandboxExec(context, handles, input),
    'operator:exportTrust': () => ({ text: serializeTrustList(operators.exportTrustList()) }),
  } satisfies HandlerTable;

  return {
    layout,
    clock,
    logger,
    events,
    appDb,
    context,
    handles,
    review,
    operatorDeps,
    handlers,
    running,
    async idle() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
    callerSession: () => callerSession(operatorDeps),
    touch: () => sessions.touch(),
    setShellInfo(next) {
      shell = next;
    },
    async close() {
      clearInterval(idleTimer);
      stopSealing();
      stopCheckpoints();
      stopAgentWatch();
      for (const controller of running.values()) controller.abort();
      await Promise.allSettled([...background]);
      await sandbox.shutdown().catch((error: unknown) => logger.warn('sandbox shutdown', error instanceof Error ? error.message : error));
      await pools.close();
      sessions.lock();
      auditStore.close();
      appDb.close();
    },
  };
}
