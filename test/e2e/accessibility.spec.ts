/**
 * axe-core on every view of the console, in the light and the dark theme (issue 14): zero critical and
 * serious violations of the WCAG 2.1 A/AA rules. Each view's report and screenshot are kept under
 * test-results. Waits on the console's own signals, never on sleeps; its own data directory.
 */
import { expect, test } from './fixtures';
import { expectAccessible, openDemo, openProposal, switchTo } from './helpers';

test('every view passes axe in both themes', async ({ gatehouse }, testInfo) => {
  test.setTimeout(600_000);
  const { page } = gatehouse;
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.waitForSelector('body[data-ready="true"]');
  await expect(page.getByTestId('first-run-view')).toBeVisible();
  await expectAccessible(page, testInfo, 'first-run');

  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('demo-operators')).toBeVisible({ timeout: 120_000 });
  await expectAccessible(page, testInfo, 'demo-operators');
  await page.getByTestId('demo-unlock-reviewer').click();
  await page.waitForSelector('body[data-role="reviewer"]');

  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });
  await expectAccessible(page, testInfo, 'queue');

  await openProposal(page, 'quote-formula');
  await expect(page.locator('[data-testid="diff-editor"][data-diff-ready="true"]')).toBeVisible();
  await expectAccessible(page, testInfo, 'review-findings');
  for (const tab of ['risk', 'sandbox', 'decision', 'activity'] as const) {
    await page.getByTestId(`tab-${tab}`).click();
    await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
    await expectAccessible(page, testInfo, `review-${tab}`);
  }
  await expect(page.getByTestId('activity-panel')).toBeVisible();

  // The comments tab with a draft on a line of the diff.
  await page.locator('[data-testid="diff-editor"] .editor.modified .line-numbers').filter({ hasText: /^\s*17\s*$/ }).first().click();
  await page.getByTestId('tab-comments').click();
  await expect(page.getByTestId('comment-target')).toHaveAttribute('data-line', '17');
  await page.getByTestId('comment-body').fill('Parse the formula instead of evaluating it.');
  await page.getByTestId('comment-save').click();
  await expect(page.locator('[data-testid="comment"][data-state="draft"]')).toBeVisible();
  await expectAccessible(page, testInfo, 'review-comments');

  // Search across the files and the file filter, with results on screen.
  await page.getByTestId('search-input').fill('eval');
  await page.getByTestId('search-input').press('Enter');
  await expect(page.getByTestId('search-results')).toHaveAttribute('data-state', 'done');
  await page.getByTestId('file-filter').fill('pricing');
  await expectAccessible(page, testInfo, 'review-search-and-filter');
  await page.getByTestId('tab-decision').click();
  await page.getByTestId('approve-button').click();
  await expect(page.getByTestId('decision-dialog')).toBeVisible();
  await expectAccessible(page, testInfo, 'decision-dialog');
  await page.getByTestId('decision-cancel').click();

  await page.getByTestId('show-shortcuts').click();
  await expect(page.getByTestId('shortcut-help')).toBeVisible();
  await expectAccessible(page, testInfo, 'shortcut-help');
  await page.keyboard.press('Escape');

  await page.getByTestId('switch-operator').click();
  await expect(page.getByTestId('switch-dialog')).toBeVisible();
  await expectAccessible(page, testInfo, 'switch-operator');
  await page.keyboard.press('Escape');

  await switchTo(page, 'auditor');
  await page.getByTestId('nav-audit').click();
  await expect(page.getByTestId('audit-table')).toHaveAttribute('data-first-page-ready', 'true');
  await expectAccessible(page, testInfo, 'audit');
  await page.locator('[data-testid="audit-row"]').first().locator('[role="cell"]').first().click();
  await expect(page.getByTestId('event-detail')).toBeVisible();
  await expectAccessible(page, testInfo, 'audit-detail');
  await page.getByTestId('audit-export-panel').locator('summary').click();
  await expect(page.getByTestId('export-scope-whole')).toBeVisible();
  await expectAccessible(page, testInfo, 'audit-export-panel');

  await page.getByTestId('nav-checkpoints').click();
  await expect(page.getByTestId('checkpoints-view')).toBeVisible();
  await expectAccessible(page, testInfo, 'checkpoints');

  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('policy-source')).toBeVisible();
  await expectAccessible(page, testInfo, 'settings');

  await page.getByTestId('lock-session').click();
  await expect(page.getByTestId('unlock-view')).toBeVisible();
  await expectAccessible(page, testInfo, 'unlock');
});

test('the first-run form passes axe in both themes, with its errors showing', async ({ gatehouse }, testInfo) => {
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  await page.getByTestId('create-name').fill('x');
  await page.getByTestId('create-submit').click();
  await expectAccessible(page, testInfo, 'first-run-errors');
});

test('a lead with a fresh operator reaches the demo from the queue', async ({ gatehouse }, testInfo) => {
  const { page } = gatehouse;
  await openDemo(page, 'lead');
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });
  await expectAccessible(page, testInfo, 'queue-lead');
});
