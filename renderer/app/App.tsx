/**
 * The console: first run, the lock screen, or the shell with its views — chosen from what main says
 * (operators, session), never from anything the renderer assumes.
 */
import { Suspense, useEffect, useRef, useState } from 'react';
import type { SessionView } from '../../shared/ipc/channels/session';
import { useAppInfo } from '../api/app';
import { useEventInvalidation, useGatehouseEvent } from '../api/hooks';
import { useLock, useOperators, useSession } from '../api/session';
import { RoleBadge } from '../components/badges';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { ErrorNote } from '../components/ErrorNote';
import { Loading } from '../components/Loading';
import { StatusBar } from '../components/StatusBar';
import { exactTime } from '../components/time';
import { VerifyProvider } from '../features/audit/verify-state';
import { FirstRunView } from '../features/first-run/FirstRunView';
import { SandboxRunsProvider } from '../features/review/sandbox-runs';
import type { DemoWorkspace } from '../features/session/demo';
import { SwitchOperatorDialog } from '../features/session/SwitchOperatorDialog';
import { UnlockView } from '../features/session/UnlockView';
import { afterFirstDiff, releaseAfterFirstDiff } from './first-diff';
import { navigate, routeHref, useRoute, type Route, type ViewName } from './router';
import { ShortcutHelp } from './ShortcutHelp';
import { isTypingTarget, useShortcuts } from './shortcuts';
import { setThemeChoice, useColorScheme, useThemeChoice, type ThemeChoice } from './theme';
import { AuditView, CheckpointsView, QueueView, ReviewView, SettingsView } from './views';

/** Sets a body data attribute for tests and styles; removes it when the value is null. */
function useBodySignal(name: string, value: string | null): void {
  useEffect(() => {
    if (value === null) delete document.body.dataset[name];
    else document.body.dataset[name] = value;
  }, [name, value]);
}

/** The root component. */
export function App() {
  useEventInvalidation();
  const scheme = useColorScheme();
  const info = useAppInfo();
  const session = useSession();
  const operators = useOperators();
  const [demo, setDemo] = useState<DemoWorkspace | null>(null);

  useEffect(() => {
    document.documentElement.dataset.theme = scheme;
  }, [scheme]);
  // Tests wait on this instead of sleeping: set once app:info's values are on screen.
  useBodySignal('ready', info.isSuccess ? 'true' : null);
  useBodySignal('operator', session.data?.operator.name ?? null);
  useBodySignal('role', session.data?.operator.role ?? null);

  let screen;
  if (info.isError) {
    screen = <StartupError error={info.error} onRetry={() => void info.refetch()} what="Could not read the app information" />;
  } else if (operators.isError) {
    screen = <StartupError error={operators.error} onRetry={() => void operators.refetch()} what="Could not list operators" />;
  } else if (session.isError) {
    screen = <StartupError error={session.error} onRetry={() => void session.refetch()} what="Could not read the session" />;
  } else if (info.isPending || operators.isPending || session.isPending) {
    screen = (
      <main className="centered-page">
        <Loading label="Starting Gatehouse…" />
      </main>
    );
  } else if (operators.data.length === 0) {
    screen = <ViewSignal view="first-run"><FirstRunView onDemoCreated={setDemo} /></ViewSignal>;
  } else if (session.data === null) {
    screen = <ViewSignal view="unlock"><UnlockView operators={operators.data} demo={demo} /></ViewSignal>;
  } else {
    screen = (
      <SandboxRunsProvider>
        <VerifyProvider>
          <Shell session={session.data} demo={demo} />
        </VerifyProvider>
      </SandboxRunsProvider>
    );
  }
  return (
    <div className="app" data-theme={scheme} data-testid="app-shell">
      {screen}
      {info.data !== undefined && <StatusBar info={info.data} />}
    </div>
  );
}

function StartupError({ error, onRetry, what }: { readonly error: unknown; readonly onRetry: () => void; readonly what: string }) {
  return (
    <main className="centered-page">
      <div className="card narrow">
        <ErrorNote title={what} error={error} onRetry={onRetry} testId="startup-error" />
      </div>
    </main>
  );
}

function ViewSignal({ view, children }: { readonly view: string; readonly children: React.ReactNode }) {
  useBodySignal('view', view);
  return children;
}

const navigation: ReadonlyArray<{ readonly view: ViewName; readonly label: string; readonly route: Route }> = [
  { view: 'queue', label: 'Queue', route: { view: 'queue' } },
  { view: 'audit', label: 'Audit', route: { view: 'audit' } },
  { view: 'checkpoints', label: 'Checkpoints', route: { view: 'checkpoints', repositoryId: null } },
  { view: 'settings', label: 'Settings', route: { view: 'settings' } },
];

function Shell({ session, demo }: { readonly session: NonNullable<SessionView>; readonly demo: DemoWorkspace | null }) {
  const route = useRoute();
  const role = session.operator.role;
  const lock = useLock();
  const [switching, setSwitching] = useState(false);
  const [help, setHelp] = useState(false);

  // An auditor's day starts in the audit log.
  useEffect(() => {
    if (window.location.hash === '' && role === 'auditor') navigate({ view: 'audit' });
  }, [role]);
  useBodySignal('view', route.view);
  // Load the other views' code while the operator reads this one, so switching never waits on a chunk
  // (fire-and-forget: a view whose chunk failed to load shows the error when it opens).
  // Opened on a proposal's link, not before its first diff is on screen: these chunks would queue ahead
  // of Monaco's and take the main thread from its start-up.
  useEffect(() => {
    if (route.view !== 'review') releaseAfterFirstDiff();
  }, [route.view]);
  useEffect(() => {
    let idle: number | null = null;
    const cancelWait = afterFirstDiff(() => {
      idle = requestIdleCallback(() => {
        for (const view of [QueueView, AuditView, CheckpointsView, SettingsView, ReviewView]) void view.preload().catch(() => undefined);
      });
    });
    return () => {
      cancelWait();
      if (idle !== null) cancelIdleCallback(idle);
    };
  }, []);

  useShortcuts({ '?': () => setHelp(true) });
  useGoToShortcuts();

  return (
    <div className="shell">
      <header className="app-header">
        <a className="brand" href={routeHref({ view: 'queue' })} aria-label="Gatehouse — queue" data-testid="brand">
          <span className="brand-mark" aria-hidden="true">▣</span> Gatehouse
        </a>
        <nav aria-label="Views" className="main-nav">
          {navigation.map((item) => (
            <a
              key={item.view}
              href={routeHref(item.route)}
              data-testid={`nav-${item.view}`}
              aria-current={route.view === item.view || (item.view === 'queue' && route.view === 'review') ? 'page' : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div
          className="operator"
          data-testid="operator-badge"
          data-operator={session.operator.name}
          data-role={role}
          title={`Unlocked ${exactTime(session.unlockedAt)}; locks when idle at ${exactTime(session.locksAt)}`}
        >
          <span className="muted">Signed in as</span>{' '}
          <strong data-testid="operator-name">{session.operator.name}</strong> <RoleBadge role={role} />
          <button type="button" onClick={() => setSwitching(true)} data-testid="switch-operator">
            Switch
          </button>
          <button type="button" onClick={() => lock.mutate({})} disabled={lock.isPending} data-testid="lock-session">
            Lock
          </button>
          <ThemeSwitch />
          <button type="button" className="icon-button" aria-label="Keyboard shortcuts" onClick={() => setHelp(true)} data-testid="show-shortcuts">
            ?
          </button>
        </div>
      </header>
      {lock.isError && <ErrorNote title="Could not lock" error={lock.error} />}
      <ErrorBoundary resetKey={routeHref(route)}>
        <Suspense fallback={<Loading label="Opening the view…" />}>
          <RouteView route={route} role={role} />
        </Suspense>
      </ErrorBoundary>
      <Notifications />
      <SwitchOperatorDialog open={switching} onClose={() => setSwitching(false)} current={session.operator.name} demo={demo} />
      <ShortcutHelp open={help} onClose={() => setHelp(false)} />
    </div>
  );
}

/**
 * Automatic actions announced where the operator is: an apply the post-apply check rolled back shows as a
 * notification until dismissed (and as a banner on the proposal and its queue row).
 */
function Notifications() {
  const [items, setItems] = useState<ReadonlyArray<{ readonly id: number; readonly repositoryId: string; readonly text: string }>>([]);
  const next = useRef(1);
  useGatehouseEvent('repo:changed', (payload) => {
    if (!payload.what.includes('post-apply check')) return;
    const id = next.current;
    next.current += 1;
    setItems((previous) => [...previous, { id, repositoryId: payload.repositoryId, text: `Gatehouse ${payload.what}.` }]);
  });
  if (items.length === 0) return null;
  return (
    <div className="notifications" role="status" aria-live="polite">
      {items.map((item) => (
        <div key={item.id} className="notification" data-testid="notification" data-repository-id={item.repositoryId}>
          <span>
            <strong>Automatic rollback.</strong> {item.text} The proposal shows why.
          </span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setItems((previous) => previous.filter((other) => other.id !== item.id))} data-testid="notification-dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** Light, dark, or the system's scheme. */
function ThemeSwitch() {
  const choice = useThemeChoice();
  return (
    <label className="inline-field theme-switch">
      <span className="visually-hidden">Theme</span>
      <select value={choice} onChange={(event) => setThemeChoice(event.target.value as ThemeChoice)} data-testid="theme-switch" title="Theme">
        <option value="system">System theme</option>
        <option value="light">Light theme</option>
        <option value="dark">Dark theme</option>
      </select>
    </label>
  );
}

const goTo: Readonly<Record<string, Route>> = {
  q: { view: 'queue' },
  a: { view: 'audit' },
  c: { view: 'checkpoints', repositoryId: null },
  s: { view: 'settings' },
};

/** "g" then a letter goes to a view; listens in the capture phase so the letter never reaches a view. */
function useGoToShortcuts(): void {
  const pending = useRef(false);
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTypingTarget(event.target)) return;
      if (document.querySelector('dialog[open]') !== null) return;
      if (pending.current) {
        pending.current = false;
        const route = goTo[event.key];
        if (route === undefined) return;
        event.preventDefault();
        event.stopPropagation();
        navigate(route);
      } else if (event.key === 'g') {
        pending.current = true;
        event.preventDefault();
        event.stopPropagation();
      }
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, []);
}

function RouteView({ route, role }: { readonly route: Route; readonly role: NonNullable<SessionView>['operator']['role'] }) {
  switch (route.view) {
    case 'queue':
      return <QueueView role={role} />;
    case 'review':
      return <ReviewView key={`${route.repositoryId}/${route.proposalId}`} repositoryId={route.repositoryId} proposalId={route.proposalId} role={role} />;
    case 'audit':
      return <AuditView role={role} />;
    case 'checkpoints':
      return <CheckpointsView repositoryId={route.repositoryId} role={role} />;
    case 'settings':
      return <SettingsView role={role} />;
  }
}
