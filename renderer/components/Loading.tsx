/** A loading line for work that takes a moment. */

/** Props of {@link Loading}. */
export interface LoadingProps {
  readonly label: string;
  readonly testId?: string;
}

/** A spinner with what is loading. */
export function Loading({ label, testId = 'loading' }: LoadingProps) {
  return (
    <div className="loading" role="status" aria-live="polite" data-testid={testId}>
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}
