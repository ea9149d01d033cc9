/**
 * Whether a location hash is a proposal's link, decided without the router.
 *
 * The link boot script (`link-boot.ts`) runs before the console's entry and must stay a few hundred
 * bytes with no imports: importing `router.ts` would pull React into its chunk. This makes the same
 * decision as `parseRoute(hash).view === 'review'` (routes.ts; a unit test holds the two together).
 */

/** A segment decoded as parseRoute decodes it: a malformed one reads as ''. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

/** True when `hash` opens the review of a proposal (`#/review/<repository>/<proposal…>`). */
export function isReviewLink(hash: string): boolean {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decoded);
  return parts[0] === 'review' && (parts[1] ?? '') !== '' && parts.slice(2).join('/') !== '';
}
