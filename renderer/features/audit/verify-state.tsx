/**
 * The audit chain verification of this session: its progress and last report survive leaving the
 * audit view, since verifying a million events takes a while.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { VerifyReportView } from '../../../shared/ipc/channels/audit';
import { call, describeError, type ShownError } from '../../api/client';
import { useGatehouseEvent } from '../../api/hooks';

/** Where verification stands. */
export type VerifyState =
  | { readonly status: 'idle' }
  | { readonly status: 'running'; readonly checked: number; readonly total: number; readonly cancelling: boolean }
  | { readonly status: 'done'; readonly report: VerifyReportView; readonly at: string }
  | { readonly status: 'error'; readonly error: ShownError; readonly at: string };

interface Verify {
  readonly state: VerifyState;
  start(): void;
  cancel(): void;
  readonly cancelError: ShownError | null;
}

const Context = createContext<Verify | null>(null);

/** Holds the verification state above the router. */
export function VerifyProvider({ children }: { readonly children: ReactNode }) {
  const [state, setState] = useState<VerifyState>({ status: 'idle' });
  const [cancelError, setCancelError] = useState<ShownError | null>(null);

  useGatehouseEvent('audit:verifyProgress', ({ checked, total }) => {
    setState((current) => (current.status === 'running' ? { ...current, checked, total } : current));
  });

  const start = useCallback((): void => {
    setCancelError(null);
    setState({ status: 'running', checked: 0, total: 0, cancelling: false });
    call('audit:verify', {}).then(
      (report) => setState({ status: 'done', report, at: new Date().toISOString() }),
      (error: unknown) => setState({ status: 'error', error: describeError(error), at: new Date().toISOString() }),
    );
  }, []);

  const cancel = useCallback((): void => {
    setState((current) => (current.status === 'running' ? { ...current, cancelling: true } : current));
    call('audit:verifyCancel', {}).then(
      ({ cancelled }) => {
        if (!cancelled) setCancelError({ code: 'CONFLICT', message: 'no verification was running' });
      },
      (error: unknown) => {
        setCancelError(describeError(error));
        setState((current) => (current.status === 'running' ? { ...current, cancelling: false } : current));
      },
    );
  }, []);

  const value = useMemo<Verify>(() => ({ state, start, cancel, cancelError }), [state, start, cancel, cancelError]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** The verification of this session. */
export function useVerify(): Verify {
  const context = useContext(Context);
  if (context === null) throw new Error('useVerify outside VerifyProvider');
  return context;
}
