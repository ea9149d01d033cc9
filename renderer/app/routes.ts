/**
 * The console's routes as data: a location hash read as a route and a route written as a hash. No DOM
 * and no React, so the unit tests (compiled against Node's lib) can hold other hash readers to it;
 * router.ts adds navigation and the hook, and re-exports these.
 */

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
