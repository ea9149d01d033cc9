/** A determinate or indeterminate progress bar with a label. */

/** Props of {@link Progress}. */
export interface ProgressProps {
  readonly label: string;
  /** Done so far; omit both for an indeterminate bar. */
  readonly value?: number;
  readonly max?: number;
  readonly testId?: string;
}

/** Shows how far long work has come. */
export function Progress({ label, value, max, testId = 'progress' }: ProgressProps) {
  const known = value !== undefined && max !== undefined && max > 0;
  const percent = known ? Math.min(100, Math.floor((value / max) * 100)) : null;
  return (
    <div className="progress" data-testid={testId} data-percent={percent ?? ''}>
      <span className="progress-label">
        {label}
        {known && ` — ${value.toLocaleString()} of ${max.toLocaleString()} (${percent}%)`}
      </span>
      {known ? (
        <progress value={value} max={max} aria-label={label} />
      ) : (
        <progress aria-label={label} />
      )}
    </div>
  );
}
