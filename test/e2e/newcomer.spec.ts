/**
 * A newcomer who created their own lead operator reaches the demo from the empty queue (issue 14), in
 * Chromium through the bridge against the real core, its own data directory; waits on signals.
 */
import { expect, test } from './fixtures';
import { snap } from './helpers';

test('a lead with their own operator creates the demo workspace from the empty queue', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  await page.getByTestId('create-name').fill('morgan');
  await page.getByTestId('create-role-lead').check();
  await page.getByTestId('create-passphrase').fill('correct horse battery');
  await page.getByTestId('create-confirm').fill('correct horse battery');
  await page.getByTestId('create-submit').click();
  await page.waitForSelector('body[data-role="lead"][data-operator="morgan"]');
  await expect(page.getByTestId('queue-empty')).toContainText('No repositories yet');
  await page.getByTestId('queue-create-demo').click();
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', '4', { timeout: 120_000 });
  await snap(page, testInfo, 'n01-demo-from-the-queue');
});
