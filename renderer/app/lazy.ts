/**
 * Code-split components that can be loaded ahead of use.
 *
 * React.lazy suspends on a component's first render even when its module is already loaded, and React
 * then holds the content back for its fallback throttle (~300 ms): visible on every first open of a
 * view. Once preloaded, a component made here renders at once, without suspending.
 */
import { createElement, lazy, type ComponentType, type ReactElement } from 'react';

/** A component that can be loaded before it first renders. */
export interface Preloadable<P extends object> {
  (props: P): ReactElement;
  /** Loads the module (once); resolves when the component renders without suspending. */
  preload(): Promise<void>;
}

/** Wraps a dynamic import of a component so it can be preloaded. */
export function lazyWithPreload<P extends object>(load: () => Promise<ComponentType<P>>): Preloadable<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const start = (): Promise<ComponentType<P>> => {
    pending ??= load().then(
      (component) => {
        loaded = component;
        return component;
      },
      (error: unknown) => {
        // A failed load (e.g. a chunk missing after an update) may be retried on the next render.
        pending = null;
        throw error;
      },
    );
    return pending;
  };
  const Lazy = lazy(() => start().then((component) => ({ default: component })));
  function Preloaded(props: P): ReactElement {
    return loaded !== null ? createElement(loaded, props) : createElement(Lazy, props);
  }
  return Object.assign(Preloaded, { preload: () => start().then(() => undefined) });
}
