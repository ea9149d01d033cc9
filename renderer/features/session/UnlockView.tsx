/** The lock screen: who may sign in, and the demo operators when the demo was just built. */
import type { OperatorView } from '../../../shared/ipc/channels/session';
import type { DemoWorkspace } from './demo';
import { UnlockForm } from './UnlockForm';

/** Shown whenever operators exist but nobody is signed in. */
export function UnlockView({ operators, demo }: { readonly operators: ReadonlyArray<OperatorView>; readonly demo: DemoWorkspace | null }) {
  return (
    <main className="centered-page" data-testid="unlock-view">
      <div className="card narrow">
        <h1>Unlock Gatehouse</h1>
        <p className="muted">
          Your signing key stays encrypted in the main process; the passphrase unlocks it for this session.
        </p>
        <UnlockForm operators={operators} demo={demo} current={null} />
      </div>
    </main>
  );
}
