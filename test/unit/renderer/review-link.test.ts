/**
 * The link boot script's test for a proposal's link (renderer/app/review-link.ts) makes the router's
 * decision: a hash it takes for a review link is one parseRoute opens the review on, and no other. A
 * disagreement either loads Monaco for a view that never shows it or leaves a link's chunks unrequested.
 */
import { describe, expect, it } from 'vitest';
import { isReviewLink } from '../../../renderer/app/review-link';
import { parseRoute, routeHref } from '../../../renderer/app/routes';

const hashes = [
  '',
  '#',
  '#/',
  '#/queue',
  '#/audit',
  '#/settings',
  '#/checkpoints/repo-1',
  '#/review',
  '#/review/',
  '#/review/repo-1',
  '#/review/repo-1/',
  '#/review/repo-1//',
  '#/review//p-1',
  '#/review/repo-1/p-1',
  '#review/repo-1/p-1',
  '#/review/repo-1/proposals/feature/x',
  '#/review/%E0%A4%A/p-1',
  '#/review/repo-1/%E0%A4%A',
  '#/review/repo-1/%E0%A4%A/x',
  '#/review/repo%201/p%2F1',
  '#/reviews/repo-1/p-1',
  '#/Review/repo-1/p-1',
];

describe('isReviewLink', () => {
  it.each(hashes)('agrees with parseRoute on %j', (hash) => {
    expect(isReviewLink(hash)).toBe(parseRoute(hash).view === 'review');
  });

  it('takes every link the console writes to a review for a review link', () => {
    for (const proposalId of ['p-1', 'proposals/bench-large', 'with space/ünïcode']) {
      const href = routeHref({ view: 'review', repositoryId: 'repo 1', proposalId });
      expect(isReviewLink(href)).toBe(true);
    }
  });

  it('does not take the other views for review links', () => {
    expect(isReviewLink(routeHref({ view: 'queue' }))).toBe(false);
    expect(isReviewLink(routeHref({ view: 'checkpoints', repositoryId: 'review' }))).toBe(false);
  });
});
