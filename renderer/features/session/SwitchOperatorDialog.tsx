/** Switch operator without leaving the view: unlocking another operator replaces the session. */
import { useOperators } from '../../api/session';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';
import { Loading } from '../../components/Loading';
import type { DemoWorkspace } from './demo';
import { UnlockForm } from './UnlockForm';

/** Props of {@link SwitchOperatorDialog}. */
export interface SwitchOperatorDialogProps {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly current: string;
  readonly demo: DemoWorkspace | null;
}

/** The switch-operator dialog. */
export function SwitchOperatorDialog({ open, onClose, current, demo }: SwitchOperatorDialogProps) {
  const operators = useOperators();
  return (
    <Dialog open={open} title="Switch operator" onClose={onClose} testId="switch-dialog">
      {operators.isPending ? (
        <Loading label="Loading operators" />
      ) : operators.isError ? (
        <ErrorNote error={operators.error} title="Could not list operators" />
      ) : (
        <UnlockForm operators={operators.data} demo={demo} current={current} onUnlocked={onClose} />
      )}
    </Dialog>
  );
}
