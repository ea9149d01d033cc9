/** A failure shown as "CODE: message": never a blank, never a stack trace. */
import { describeError } from '../api/client';

/** Props of {@link ErrorNote}. */
export interface ErrorNoteProps {
  readonly error: unknown;
  /** What was being done, e.g. "Could not load the queue". */
  readonly title?: string;
  readonly onRetry?: () => void;
  readonly testId?: string;
}

/** Shows one error with its Result code. */
export function ErrorNote({ error, title, onRetry, testId = 'error' }: ErrorNoteProps) {
  const shown = describeError(error);
  return (
    <div className="error-note" role="alert" data-testid={testId} data-code={shown.code}>
      {title !== undefined && <strong className="error-title">{title}</strong>}
      <span className="error-line">
        <code className="error-code">{shown.code}</code>: {shown.message}
      </span>
      {onRetry !== undefined && (
        <button type="button" className="link-button" onClick={onRetry} data-testid={`${testId}-retry`}>
          Try again
        </button>
      )}
    </div>
  );
}
