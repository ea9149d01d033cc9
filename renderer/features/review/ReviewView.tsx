/**
 * Review one proposal: file tree, Monaco diff with findings, findings, assessment, sandbox and the
 * decision — keyboard first (j/k files, n/p findings, a/r decide, v viewed, i inline).
 */
import { useQueryClient } from '@tanstack/react-query';
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Panel, PanelGroup, PanelResizeHandle, type ImperativePanelHandle } from 'react-resizable-panels';
import type { ActivityItem, AutomaticRollbackView, FileChangeView, FileContentsView, LandedView, ProposalDetail } from '../../../shared/ipc/channels/review';
import type { Finding, Role } from '../../../shared/model/domain';
import { ErrorCode } from '../../../shared/model/result';
import { canCall } from '../../api/access';
import { useAppInfo } from '../../api/app';
import { call } from '../../api/client';
import { channelKey } from '../../api/hooks';
import { useComments, useProposal, useProposalFile, useRepositories } from '../../api/review';
import type { CommentSide, CommentView } from '../../../shared/ipc/channels/comments';
import { useSession } from '../../api/session';
import { afterFirstDiff, firstDiffReleased, releaseAfterFirstDiff } from '../../app/first-diff';
import { lazyWithPreload, usePreloaded } from '../../app/lazy';
import { routeHref } from '../../app/router';
import { useShortcuts } from '../../app/shortcuts';
import { useColorScheme } from '../../app/theme';
import { RiskBadge, ScoreMeter } from '../../components/badges';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import { TimeAgo, exactTime, shortOid } from '../../components/time';
import { AssessmentPanel } from './AssessmentPanel';
import { DecisionDialog, type DecisionKind } from './DecisionDialog';
import { DecisionPanel } from './DecisionPanel';
import type { RevealTarget } from './DiffPane';
import { DiffPreview } from './DiffPreview';
import { FileTree } from './FileTree';
import { CommentsPanel, type CommentTarget } from './CommentsPanel';
import { FindingsPanel, type FindingPlace } from './FindingsPanel';
import { fileWarnings, findingKey, firstFileToOpen, orderFiles, orderFindingsForWalk } from './review-model';
import { ProposalSearch } from './ProposalSearch';
import { SandboxPanel } from './SandboxPanel';
import { useViewedMarks } from './viewed-marks';

const DiffPane = lazyWithPreload(() => import('./DiffPane').then((module) => module.DiffPane));

/** Loads the diff editor and pays Monaco's start-up costs ahead of the first review (the queue calls it when idle). */
export async function preloadDiffEditor(): Promise<void> {
  await DiffPane.preload();
  const module = await import('./DiffPane');
  module.warmUpDiffEditor();
}

type Tab = 'findings' | 'comments' | 'risk' | 'sandbox' | 'decision' | 'activity';
const inlineKey = 'gatehouse.diff.inline';
const whitespaceKey = 'gatehouse.diff.hideWhitespace';

/** Props of {@link ReviewView}. */
export interface ReviewViewProps {
  readonly repositoryId: string;
  readonly proposalId: string;
  readonly role: Role;
}

/** The review view. */
export function ReviewView({ repositoryId, proposalId, role }: ReviewViewProps) {
  const proposal = useProposal(repositoryId, proposalId);
  // A proposal that cannot be shown has no first diff to wait for.
  useEffect(() => {
    if (proposal.isError) releaseAfterFirstDiff();
  }, [proposal.isError]);
  if (proposal.isPending) {
    return (
      <main className="view" data-testid="review-view" data-state="loading">
        <Loading label={`Loading ${proposalId}…`} />
      </main>
    );
  }
  if (proposal.isError) {
    return (
      <main className="view" data-testid="review-view" data-state="error">
        <ErrorNote
          title={proposal.error.code === ErrorCode.NotFound ? 'This proposal does not exist (any more)' : `Could not load ${proposalId}`}
          error={proposal.error}
          onRetry={() => void proposal.refetch()}
        />
        <p>
          <a href={routeHref({ view: 'queue' })} data-testid="review-error-back">
            Back to the queue
          </a>
        </p>
      </main>
    );
  }
  return <ReviewBody detail={proposal.data} role={role} refreshing={proposal.isFetching} />;
}

function ReviewBody({ detail, role, refreshing }: { readonly detail: ProposalDetail; readonly role: Role; readonly refreshing: boolean }) {
  const { summary } = detail;
  const { repositoryId, proposalId } = summary;
  const queryClient = useQueryClient();
  const scheme = useColorScheme();
  const info = useAppInfo();
  const session = useSession();
  const repositories = useRepositories();
  const repository = repositories.data?.find((item) => item.id === repositoryId) ?? null;

  const files = useMemo(() => orderFiles(detail.files), [detail.files]);
  const findingsByPath = useMemo(() => {
    const map = new Map<string, Finding[]>();
    for (const finding of detail.findings) {
      const list = map.get(finding.path) ?? [];
      list.push(finding);
      map.set(finding.path, list);
    }
    return map;
  }, [detail.findings]);
  const walk = useMemo(() => orderFindingsForWalk(detail.findings), [detail.findings]);
  const changedPaths = useMemo(() => detail.files.map((file) => file.path), [detail.files]);

  const [currentPath, setCurrentPath] = useState<string | null>(() => firstFileToOpen(detail.files, detail.findings));
  const [currentFinding, setCurrentFinding] = useState<string | null>(null);
  const [reveal, setReveal] = useState<RevealTarget | null>(null);
  const [tab, setTab] = useState<Tab>('findings');
  const [decision, setDecision] = useState<DecisionKind | null>(null);
  const [inline, setInline] = useState(() => window.localStorage.getItem(inlineKey) === 'true');
  const [hideWhitespace, setHideWhitespace] = useState(() => window.localStorage.getItem(whitespaceKey) === 'true');
  const [walkNote, setWalkNote] = useState<string | null>(null);
  // Viewed marks and comments are asked for once a link's first diff is on screen (at once on any later
  // open): each makes main recompute the revision's state, which on a large proposal held main's event
  // loop for 100-600 ms while Monaco's grammar and font were being fetched, and their answers re-rendered
  // this whole view in the middle of Monaco's start-up. Until then the tree shows no ticks and the
  // comments tab its loading state, as on any open before their answers arrive.
  const secondaryData = useAfterFirstDiff();
  const { viewed, toggle: toggleViewed } = useViewedMarks(repositoryId, proposalId, summary.headOid, secondaryData);
  const conversation = useComments(repositoryId, proposalId, secondaryData);
  const [commentTarget, setCommentTarget] = useState<CommentTarget | null>(null);
  const canComment = canCall(role, 'comment:draft') && !summary.applied;
  // Pane sizes are remembered per operator in this renderer (react-resizable-panels' autoSaveId, in localStorage). The
  // group is keyed by it: a review opened before the session query settles (a link preloaded at boot) remounts with
  // the operator's saved layout once the operator is known, instead of keeping the layout read for nobody.
  const panesKey = `gatehouse.review-panes.${session.data?.operator.name ?? 'anyone'}`;
  const filesPane = useRef<ImperativePanelHandle>(null);
  const sidePane = useRef<ImperativePanelHandle>(null);
  const [filesCollapsed, setFilesCollapsed] = useState(false);
  const [sideCollapsed, setSideCollapsed] = useState(false);
  const togglePane = (pane: ImperativePanelHandle | null): void => {
    if (pane === null) return;
    if (pane.isCollapsed()) pane.expand();
    else pane.collapse();
  };

  // A file can vanish when the branch moves; fall back to the first one.
  const currentFile = files.find((file) => file.path === currentPath) ?? files[0] ?? null;
  const fileComments = useMemo(
    () => (conversation.data?.comments ?? []).filter((comment) => comment.path === currentFile?.path && comment.currentLine !== null),
    [conversation.data, currentFile],
  );
  const currentIndex = currentFile === null ? -1 : files.indexOf(currentFile);
  const contents = useProposalFile(repositoryId, proposalId, currentFile?.path ?? null);

  // Fetch the next file once this one's diff is on screen (not alongside it: on a link's first open that
  // call and its answer would compete with Monaco's start-up), so j feels instant.
  const [drawnPath, setDrawnPath] = useState<string | null>(null);
  const onDrawn = useCallback((path: string): void => {
    setDrawnPath(path);
    releaseAfterFirstDiff();
  }, []);
  const currentDrawn = contents.isSuccess && currentFile !== null && drawnPath === currentFile.path;
  // Nothing to draw (no files, or the file failed to load): nothing to hold back for.
  const nothingToDraw = currentFile === null || contents.isError;
  useEffect(() => {
    if (nothingToDraw) releaseAfterFirstDiff();
  }, [nothingToDraw]);
  useEffect(() => {
    const next = files[currentIndex + 1];
    if (next === undefined || !currentDrawn) return;
    const input = { repositoryId, proposalId, path: next.path };
    void queryClient.prefetchQuery({ queryKey: channelKey('proposal:file', input), queryFn: () => call('proposal:file', input), staleTime: 60_000 });
  }, [files, currentIndex, currentDrawn, queryClient, repositoryId, proposalId]);

  const openFile = useCallback((path: string): void => {
    setCurrentPath(path);
    setCurrentFinding(null);
    setWalkNote(null);
  }, []);
  const selectFinding = useCallback((finding: Finding): void => {
    setCurrentPath(finding.path);
    setCurrentFinding(findingKey(finding));
    setReveal((previous) => ({ path: finding.path, line: finding.startLine, column: finding.startColumn, nonce: (previous?.nonce ?? 0) + 1 }));
    setWalkNote(null);
  }, []);

  const revealPlace = useCallback((place: FindingPlace): void => {
    setCurrentPath(place.path);
    setReveal((previous) => ({ path: place.path, line: place.line, column: place.column, nonce: (previous?.nonce ?? 0) + 1 }));
    setWalkNote(null);
  }, []);

  const stepFile = (delta: 1 | -1): void => {
    const next = files[currentIndex + delta];
    if (next !== undefined) openFile(next.path);
  };
  const stepFinding = (delta: 1 | -1): void => {
    if (walk.length === 0) {
      setWalkNote('No findings in this revision.');
      return;
    }
    const at = walk.findIndex((finding) => findingKey(finding) === currentFinding);
    let target: Finding | undefined;
    if (at !== -1) target = walk[at + delta];
    else {
      // Nothing selected yet: start from the file on screen.
      const fileRank = (path: string): number => files.findIndex((file) => file.path === path);
      const here = currentIndex;
      target = delta === 1 ? walk.find((finding) => fileRank(finding.path) >= here) : [...walk].reverse().find((finding) => fileRank(finding.path) <= here);
    }
    if (target === undefined) {
      setWalkNote(delta === 1 ? 'That was the last finding.' : 'That was the first finding.');
      return;
    }
    selectFinding(target);
  };
  const canDecide = canCall(role, 'proposal:approve') && !summary.applied;
  const toggleInline = (): void => {
    setInline((value) => {
      window.localStorage.setItem(inlineKey, String(!value));
      return !value;
    });
  };
  const toggleWhitespace = (): void => {
    setHideWhitespace((value) => {
      window.localStorage.setItem(whitespaceKey, String(!value));
      return !value;
    });
  };
  useShortcuts({
    w: toggleWhitespace,
    j: () => stepFile(1),
    k: () => stepFile(-1),
    n: () => stepFinding(1),
    p: () => stepFinding(-1),
    v: () => currentFile !== null && toggleViewed(currentFile.path),
    i: toggleInline,
    a: () => canDecide && setDecision('approve'),
    r: () => canDecide && setDecision('reject'),
    c: () => canDecide && setDecision('request_changes'),
  });
  useEffect(() => {
    if (currentFinding !== null) document.querySelector('.finding.current')?.scrollIntoView({ block: 'nearest' });
  }, [currentFinding]);

  const tabs: ReadonlyArray<{ readonly id: Tab; readonly label: string }> = [
    { id: 'findings', label: `Findings (${detail.findings.length})` },
    { id: 'comments', label: `Comments (${conversation.data?.comments.length ?? 0})` },
    { id: 'risk', label: 'Risk' },
    { id: 'sandbox', label: 'Sandbox' },
    { id: 'decision', label: 'Decision' },
    { id: 'activity', label: 'Activity' },
  ];

  return (
    <main className="view review-view" data-testid="review-view" data-state="ready" data-proposal-id={proposalId} data-head={summary.headOid}>
      <header className="review-header">
        <div className="review-title">
          <a href={routeHref({ view: 'queue' })} className="back-link" data-testid="back-to-queue" aria-label="Back to the queue">
            ← Queue
          </a>
          <h1>{summary.title}</h1>
          {refreshing && <span className="spinner small" role="status" aria-label="Refreshing" />}
        </div>
        <div className="review-facts small">
          <RiskBadge risk={detail.assessment.risk} />
          <ScoreMeter score={detail.assessment.safetyScore} />
          <code>{proposalId}</code>
          <span>{summary.repositoryName}</span>
          <span>
            <span className={`badge author-${summary.author.kind}`}>{summary.author.kind}</span> {summary.author.name}
          </span>
          <span>
            head <code title={summary.headOid}>{shortOid(summary.headOid)}</code> on base <code title={summary.baseOid}>{shortOid(summary.baseOid)}</code>
          </span>
          <TimeAgo iso={summary.committedAt} />
          {conversation.data?.reviewState === 'changes-requested' && (
            <span className="badge outdated" data-testid="changes-requested">
              changes requested by {conversation.data.changeRequests.filter((request) => request.current).map((request) => request.operatorName).join(', ')}
              <ElsewhereComments count={conversation.data.changeRequests.filter((request) => request.current).reduce((sum, request) => sum + request.commentsElsewhere, 0)} />
            </span>
          )}
          <span className={detail.gate.allowed ? 'ok-text' : 'warn-text'} data-testid="header-gate">
            {detail.gate.summary}
          </span>
          {summary.approvals.outdated > 0 && (
            <span className="badge outdated" title="Signed for an earlier revision: they do not count for this one">
              {summary.approvals.outdated} outdated approval{summary.approvals.outdated === 1 ? '' : 's'}
            </span>
          )}
        </div>
      </header>
      {summary.automaticRollback != null && <AutomaticRollbackBanner rollback={summary.automaticRollback} />}
      {detail.landed != null && <LandedBanner landed={detail.landed} />}
      <PanelGroup key={panesKey} direction="horizontal" autoSaveId={panesKey} className="review-grid" data-testid="review-panes">
        <Panel
          id="files"
          order={1}
          defaultSize={22}
          minSize={12}
          collapsible
          collapsedSize={0}
          ref={filesPane}
          onCollapse={() => setFilesCollapsed(true)}
          onExpand={() => setFilesCollapsed(false)}
          className="files-column"
          data-testid="pane-files"
          data-collapsed={filesCollapsed ? 'true' : 'false'}
        >
          <ProposalSearch repositoryId={repositoryId} proposalId={proposalId} onReveal={(match) => revealPlace({ path: match.path, line: match.line, column: match.column })} />
          <FileTree files={files} findingsByPath={findingsByPath} current={currentFile?.path ?? null} viewed={viewed} onOpen={openFile} onToggleViewed={toggleViewed} />
        </Panel>
        <PanelResizeHandle className="resize-handle" data-testid="resize-files" aria-label="Resize the file list (arrow keys)" />
        <Panel id="diff" order={2} minSize={30} className="diff-column">
        <section className="diff-area" aria-label="Diff">
          {currentFile === null ? (
            <EmptyState title="This revision changes no files." testId="no-files">
              <p>An empty commit: there is nothing to review in the diff; check the commit message in Risk.</p>
            </EmptyState>
          ) : (
            <>
              <div className="diff-toolbar">
                <button
                  type="button"
                  onClick={() => togglePane(filesPane.current)}
                  aria-pressed={!filesCollapsed}
                  aria-label={filesCollapsed ? 'Show the file list' : 'Hide the file list'}
                  data-testid="toggle-files-pane"
                >
                  Files
                </button>
                <span className="diff-path" title={currentFile.path} data-testid="current-path">
                  {currentFile.oldPath !== null && currentFile.oldPath !== currentFile.path && (
                    <span className="muted">{currentFile.oldPath} → </span>
                  )}
                  {currentFile.path}
                </span>
                <span className="muted small">
                  {currentIndex + 1}/{files.length}
                </span>
                <span className="spacer" />
                <button type="button" onClick={() => stepFile(-1)} disabled={currentIndex <= 0} aria-label="Previous file (k)" data-testid="prev-file">
                  ↑ File
                </button>
                <button type="button" onClick={() => stepFile(1)} disabled={currentIndex >= files.length - 1} aria-label="Next file (j)" data-testid="next-file">
                  ↓ File
                </button>
                <button type="button" onClick={() => stepFinding(-1)} aria-label="Previous finding (p)" data-testid="prev-finding">
                  ‹ Finding
                </button>
                <button type="button" onClick={() => stepFinding(1)} aria-label="Next finding (n)" data-testid="next-finding">
                  Finding ›
                </button>
                <button type="button" onClick={toggleInline} aria-pressed={inline} data-testid="toggle-inline" aria-label={inline ? 'Show side by side (i)' : 'Show inline (i)'}>
                  {inline ? 'Side by side' : 'Inline'}
                </button>
                <button type="button" onClick={toggleWhitespace} aria-pressed={hideWhitespace} data-testid="toggle-whitespace" title="Hide or show whitespace-only changes (w)">
                  {hideWhitespace ? 'Whitespace hidden' : 'Whitespace shown'}
                </button>
                <label className="inline-check">
                  <input type="checkbox" checked={viewed.has(currentFile.path)} onChange={() => toggleViewed(currentFile.path)} data-testid="toggle-viewed" />
                  Viewed
                </label>
                <button
                  type="button"
                  onClick={() => togglePane(sidePane.current)}
                  aria-pressed={!sideCollapsed}
                  aria-label={sideCollapsed ? 'Show the review panels' : 'Hide the review panels'}
                  data-testid="toggle-side-pane"
                >
                  Panels
                </button>
              </div>
              {walkNote !== null && (
                <p className="walk-note muted small" role="status">
                  {walkNote}
                </p>
              )}
              <FileWarnings file={currentFile} contents={contents.data} />
              {contents.isError ? (
                <ErrorNote title={`Could not load ${currentFile.path}`} error={contents.error} onRetry={() => void contents.refetch()} testId="file-error" />
              ) : contents.isPending ? (
                <Loading label={`Loading ${currentFile.path}…`} testId="file-loading" />
              ) : (
                <DiffOrPlaceholder
                  file={currentFile}
                  contents={contents.data}
                  findings={findingsByPath.get(currentFile.path) ?? []}
                  inline={inline}
                  hideWhitespace={hideWhitespace}
                  scheme={scheme}
                  reveal={reveal}
                  comments={fileComments}
                  onDrawn={onDrawn}
                  onLineSelect={canComment ? (side, line) => setCommentTarget({ path: currentFile.path, side, line }) : undefined}
                />
              )}
            </>
          )}
        </section>
        </Panel>
        <PanelResizeHandle className="resize-handle" data-testid="resize-side" aria-label="Resize the review panels (arrow keys)" />
        <Panel
          id="side"
          order={3}
          defaultSize={28}
          minSize={18}
          collapsible
          collapsedSize={0}
          ref={sidePane}
          onCollapse={() => setSideCollapsed(true)}
          onExpand={() => setSideCollapsed(false)}
          className="side-column"
          data-testid="pane-side"
          data-collapsed={sideCollapsed ? 'true' : 'false'}
        >
        <aside className="side-panel" aria-label="Review panels">
          <div className="tabs" role="tablist" aria-label="Review panels">
            {tabs.map((item) => (
              <button
                key={item.id}
                type="button"
                role="tab"
                aria-selected={tab === item.id}
                aria-controls={`panel-${item.id}`}
                id={`tab-${item.id}`}
                className="tab"
                onClick={() => setTab(item.id)}
                data-testid={`tab-${item.id}`}
              >
                {item.label}
              </button>
            ))}
          </div>
          <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
            {tab === 'findings' && (
              <FindingsPanel findings={detail.findings} parseErrors={detail.parseErrors} currentPath={currentFile?.path ?? null} currentKey={currentFinding} onSelect={selectFinding} onReveal={revealPlace} />
            )}
            {tab === 'comments' && (
              <CommentsPanel
                conversation={conversation.data}
                repositoryId={repositoryId}
                proposalId={proposalId}
                headOid={summary.headOid}
                canComment={canComment}
                target={commentTarget}
                onReveal={revealPlace}
              />
            )}
            {tab === 'risk' && <AssessmentPanel detail={detail} />}
            {tab === 'sandbox' && (
              <SandboxPanel
                repositoryId={repositoryId}
                proposalId={proposalId}
                stored={detail.sandbox}
                canRun={canCall(role, 'sandbox:run') && !summary.applied}
                dockerReachable={info.data?.docker.reachable ?? null}
                changedPaths={changedPaths}
                onReveal={revealPlace}
              />
            )}
            {tab === 'activity' && <ActivityPanel activity={detail.activity ?? []} />}
            {tab === 'decision' && <DecisionPanel detail={detail} role={role} repository={repository} onDecide={setDecision} />}
          </div>
        </aside>
        </Panel>
      </PanelGroup>
      <DecisionDialog kind={decision} detail={detail} viewed={viewed} drafts={(conversation.data?.comments ?? []).filter((comment) => comment.state === 'draft').length} operator={session.data?.operator.name ?? ''} onClose={() => setDecision(null)} />
    </main>
  );
}

/** Says that Gatehouse rolled the apply back by itself, and why. */
function AutomaticRollbackBanner({ rollback }: { readonly rollback: AutomaticRollbackView }) {
  return (
    <div className="banner banner-danger" role="alert" data-testid="auto-rollback-banner" data-checkpoint-id={rollback.checkpointId}>
      <strong>Gatehouse rolled this apply back automatically</strong> <TimeAgo iso={rollback.at} />
      {rollback.appliedBy !== null && (
        <>
          {' '}
          (applied by {rollback.appliedBy}
          {rollback.appliedAt !== null && <> at {exactTime(rollback.appliedAt)}</>})
        </>
      )}
      : the post-apply check found {rollback.reasons.join('; ') || 'a regression'}. The target branch is back at checkpoint <code>{rollback.checkpointId}</code>; the
      proposal can be applied again once that is understood.
    </div>
  );
}

/** An applied proposal shows the revision that landed, frozen. */
function LandedBanner({ landed }: { readonly landed: LandedView }) {
  return (
    <div className="banner banner-ok" data-testid="landed-banner" data-checkpoint-id={landed.checkpointId} data-by={landed.by}>
      <strong>Applied</strong> by {landed.by} at {exactTime(landed.at)}: the target moved from <code title={landed.previousTargetHead}>{shortOid(landed.previousTargetHead)}</code> to{' '}
      <code title={landed.newTargetHead}>{shortOid(landed.newTargetHead)}</code>, after checkpoint <code>{landed.checkpointId}</code>. This page shows the revision that landed;{' '}
      {landed.approvals.length} approval{landed.approvals.length === 1 ? ' was' : 's were'} used.
    </div>
  );
}

/** What happened to the proposal, newest first; automatic actions marked. */
function ActivityPanel({ activity }: { readonly activity: ReadonlyArray<ActivityItem> }) {
  return (
    <section className="activity-panel" data-testid="activity-panel" aria-label="Activity">
      {activity.length === 0 ? (
        <p className="muted">Nothing recorded yet.</p>
      ) : (
        <ol className="activity-list">
          {activity.map((item) => (
            <li key={item.seq} data-testid="activity-item" data-action={item.action} data-automatic={item.automatic ? 'true' : 'false'} className={item.automatic ? 'automatic' : ''}>
              <span className="muted small">
                <TimeAgo iso={item.at} /> · #{item.seq}
              </span>{' '}
              {item.automatic && <span className="badge neutral">automatic</span>} {item.summary}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function FileWarnings({ file, contents }: { readonly file: FileChangeView; readonly contents: FileContentsView | undefined }) {
  const warnings = fileWarnings(file, contents);
  if (warnings.length === 0) return null;
  return (
    <ul className="file-warnings" data-testid="file-warnings">
      {warnings.map((warning) => (
        <li key={`${warning.kind}:${warning.message}`} className={warning.severe ? 'severe' : 'mild'} data-testid="file-warning" data-kind={warning.kind}>
          {warning.message}
        </li>
      ))}
    </ul>
  );
}

function DiffOrPlaceholder({
  file,
  contents,
  findings,
  inline,
  hideWhitespace,
  scheme,
  reveal,
  comments,
  onDrawn,
  onLineSelect,
}: {
  readonly file: FileChangeView;
  readonly contents: FileContentsView;
  readonly findings: ReadonlyArray<Finding>;
  readonly inline: boolean;
  readonly hideWhitespace: boolean;
  readonly scheme: 'light' | 'dark';
  readonly comments: ReadonlyArray<CommentView>;
  readonly onDrawn: (path: string) => void;
  readonly onLineSelect: ((side: CommentSide, line: number) => void) | undefined;
  readonly reveal: RevealTarget | null;
}) {
  const why = contents.binary || file.binary ? 'binary' : contents.tooLarge || file.tooLarge ? 'too-large' : file.gitlink ? 'gitlink' : contents.original === null && contents.modified === null ? 'no-text' : null;
  // Until Monaco's chunks are in, the plain diff rather than a suspended DiffPane: on a link the review
  // is on screen before them, and a Suspense retry would be held back ~300 ms more. Where nothing has
  // loaded Monaco yet (a review opened before the queue's idle warm-up), its evaluation (~200 ms of main
  // thread) starts only once the review and its plain diff are painted.
  const editorLoaded = usePreloaded(DiffPane, { afterPaint: true });
  // A placeholder is drawn with its first render.
  useEffect(() => {
    if (why !== null) onDrawn(file.path);
  }, [why, file.path, onDrawn]);
  if (why !== null) {
    return (
      <div className="diff-editor diff-placeholder" data-testid="diff-editor" data-path={file.path} data-diff-ready="true" data-markers="0" data-marker-lines="" data-placeholder={why}>
        <EmptyState title={why === 'binary' ? 'Binary content is not shown.' : why === 'too-large' ? 'Too large to show.' : why === 'gitlink' ? 'A submodule pointer changed.' : 'No text to show.'}>
          <p>Inspect this file with git outside the console before approving.</p>
        </EmptyState>
      </div>
    );
  }
  // What the plain diff and the diff editor both draw.
  const diff = { file, contents, findings, inline, hideWhitespace };
  // Until then, the file's plain diff (or, where it has none, a loading line).
  const preview = <DiffPreview {...diff} fallback={<Loading label="Loading the diff editor…" testId="diff-loading" />} />;
  if (!editorLoaded) return preview;
  return (
    <Suspense fallback={preview}>
      <DiffPane
        {...diff}
        scheme={scheme}
        reveal={reveal}
        comments={comments}
        onDrawn={onDrawn}
        {...(onLineSelect === undefined ? {} : { onLineSelect })}
      />
    </Suspense>
  );
}

/** True once the console no longer holds work back for a link's first diff (see app/first-diff.ts). */
function useAfterFirstDiff(): boolean {
  const [released, setReleased] = useState(firstDiffReleased);
  useEffect(() => (released ? undefined : afterFirstDiff(() => setReleased(true))), [released]);
  return released;
}

/** Comments published with a request for changes on another desk: their existence is signed in its record, their text stays there. */
function ElsewhereComments({ count }: { readonly count: number }) {
  if (count === 0) return null;
  return (
    <span data-testid="comments-elsewhere" data-count={count}>
      {' '}
      · {count} comment{count === 1 ? '' : 's'} on another desk
    </span>
  );
}
