/** An empty list that says what to do next. */
import type { ReactNode } from 'react';

/** Props of {@link EmptyState}. */
export interface EmptyStateProps {
  readonly title: string;
  readonly children?: ReactNode;
  readonly testId?: string;
}

/** A calm empty state with the next step. */
export function EmptyState({ title, children, testId = 'empty-state' }: EmptyStateProps) {
  return (
    <div className="empty-state" data-testid={testId}>
      <p className="empty-title">{title}</p>
      {children !== undefined && <div className="empty-next">{children}</div>}
    </div>
  );
}
