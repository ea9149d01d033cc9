/**
 * Hash routes: the console is one page served from a custom protocol, so the route lives in the
 * fragment and never triggers a navigation (main blocks navigations).
 */
import { startTransition, useEffect, useMemo, useState } from 'react';

/** A place in the console. */
export type Route =
  | { readonly view: 'queue' }
  | { readonly view: 'review'; readonly repositoryId: string; readonly proposalId: string }
  | { readonly view: 'audit' }
  | { readonly view: 'checkpoints'; readonly repositoryId: string | null }
  | { readonly view: 'settings' };

/** A view's name. */
export type ViewName = Route['view'];

/** Reads a route from a location hash; anything unknown is the queue. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(safeDecode);
  switch (parts[0]) {
    case 'review': {
      const repositoryId = parts[1];
      const proposalId = parts.slice(2).join('/');
      if (repositoryId !== undefined && repositoryId !== '' && proposalId !== '') {
        return { view: 'review', repositoryId, proposalId };
      }
      return { view: 'queue' };
    }
    case 'audit':
      return { view: 'audit' };
    case 'checkpoints':
      return { view: 'checkpoints', repositoryId: parts[1] !== undefined && parts[1] !== '' ? parts[1] : null };
    case 'settings':
      return { view: 'settings' };
    default:
      return { view: 'queue' };
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

/** The hash of a route. Proposal ids keep their slashes, each segment encoded. */
export function routeHref(route: Route): string {
  switch (route.view) {
    case 'review':
      return `#/review/${encodeURIComponent(route.repositoryId)}/${route.proposalId
        .split('/')
        .map(encodeURIComponent)
        .join('/')}`;
    case 'checkpoints':
      return route.repositoryId === null ? '#/checkpoints' : `#/checkpoints/${encodeURIComponent(route.repositoryId)}`;
    case 'queue':
    case 'audit':
    case 'settings':
      return `#/${route.view}`;
  }
}

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
