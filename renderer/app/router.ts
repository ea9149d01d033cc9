/**
 * Hash routes: the console is one page served from a custom protocol, so the route lives in the
 * fragment and never triggers a navigation (main blocks navigations).
 */
import { startTransition, useEffect, useMemo, useState } from 'react';
import { parseRoute, routeHref, type Route } from './routes';

export { parseRoute, routeHref, type Route, type ViewName } from './routes';

/** Goes to a route. */
export function navigate(route: Route): void {
  const href = routeHref(route);
  if (window.location.hash !== href) window.location.hash = href;
}

/**
 * The current route, re-rendering on every change.
 *
 * A route change is a transition: the view on screen stays until the next one can render, instead of
 * flashing a fallback while its chunk loads (and React holding the content back for its fallback
 * throttle afterwards).
 */
export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = (): void => startTransition(() => setHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    // A change between the first render and this subscription would otherwise be missed.
    onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return useMemo(() => parseRoute(hash), [hash]);
}
