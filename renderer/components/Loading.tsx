/** A loading line for work that takes a moment. */
import { useEffect, useState } from 'react';

/**
 * How long a load runs before its spinner turns. Shorter loads show only their label: no flicker, and
 * no animation frames to draw while the console is starting (a turning spinner costs Chromium a frame
 * every 16 ms, on the same two cores that are compiling the console's scripts).
 */
export const SPINNER_DELAY_MS = 500;

/** Props of {@link Loading}. */
export interface LoadingProps {
  readonly label: string;
  readonly testId?: string;
}

/** What is loading, with a spinner once it has taken longer than {@link SPINNER_DELAY_MS}. */
export function Loading({ label, testId = 'loading' }: LoadingProps) {
  const [spinning, setSpinning] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setSpinning(true), SPINNER_DELAY_MS);
    return () => clearTimeout(timer);
  }, []);
  return (
    <div className="loading" role="status" aria-live="polite" data-testid={testId}>
      <span className={spinning ? 'spinner' : 'spinner waiting'} aria-hidden="true" />
      {label}
    </div>
  );
}
