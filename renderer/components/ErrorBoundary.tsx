/** Catches a view that threw while rendering and shows the error, not a blank page. */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorNote } from './ErrorNote';

/** Props of {@link ErrorBoundary}. */
export interface ErrorBoundaryProps {
  readonly children: ReactNode;
  /** Changing this clears a caught error (e.g. the route). */
  readonly resetKey: string;
}

interface State {
  readonly error: unknown;
  readonly key: string;
}

/** Shows a caught render error with a way back. */
export class ErrorBoundary extends Component<ErrorBoundaryProps, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: ErrorBoundaryProps, state: State): Partial<State> | null {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // The console of the page is the one place a stack may go; the screen shows code and message.
    console.error('view failed', error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error !== null) {
      return (
        <div className="view-error">
          <ErrorNote title="This view failed" error={this.state.error} onRetry={() => this.setState({ error: null })} />
        </div>
      );
    }
    return this.props.children;
  }
}
