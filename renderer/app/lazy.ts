/**
 * Code-split components that can be loaded ahead of use.
 *
 * React.lazy suspends on a component's first render even when its module is already loaded, and React
 * then holds the content back for its fallback throttle (~300 ms): visible on every first open of a
 * view. Once preloaded, a component made here renders at once, without suspending.
 */
import { createElement, lazy, useEffect, useState, type ComponentType, type ReactElement } from 'react';

/** A component that can be loaded before it first renders. */
export interface Preloadable<P extends object> {
  (props: P): ReactElement;
  /** Loads the module (once); resolves when the component renders without suspending. */
  preload(): Promise<void>;
  /** True once the module is loaded: the component then renders without suspending. */
  isLoaded(): boolean;
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
  return Object.assign(Preloaded, { preload: () => start().then(() => undefined), isLoaded: () => loaded !== null });
}

/**
 * Whether `component` can render without suspending; starts loading it, and re-renders the caller
 * (an ordinary state update) once it can.
 *
 * For a component that appears in a view already on screen: rendered before its module is in, it
 * would suspend, and when its module arrived React would hold it back until its fallback had been
 * shown for ~300 ms (the fallback throttle, which applies to Suspense retries only). A caller that
 * shows its own placeholder until this is true never suspends, so the component appears as soon as
 * its module is in. A failed load also reads as true: the component then renders, suspends, and its
 * error reaches the nearest error boundary as before.
 *
 * With `afterPaint`, loading starts only once the caller's first render is on screen.
 */
export function usePreloaded<P extends object>(component: Preloadable<P>, options: { readonly afterPaint?: boolean } = {}): boolean {
  const [loaded, setLoaded] = useState(component.isLoaded);
  const afterPaint = options.afterPaint === true;
  useEffect(() => {
    if (loaded) return undefined;
    let live = true;
    const settle = (): void => {
      if (live) setLoaded(true);
    };
    const start = (): void => {
      if (live) component.preload().then(settle, settle);
    };
    // afterPaint: the module's evaluation waits until the caller's placeholder has been painted (a
    // frame, then a task after it), so a long evaluation never holds back what is already rendered.
    if (afterPaint) requestAnimationFrame(() => setTimeout(start, 0));
    else start();
    return () => {
      live = false;
    };
  }, [component, loaded, afterPaint]);
  return loaded;
}
