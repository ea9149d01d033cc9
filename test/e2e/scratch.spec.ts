import { expect, test } from './fixtures';
import { openDemo, openProposal } from './helpers';
test('scratch', async ({ gatehouse }) => {
  const { page } = gatehouse;
  await openDemo(page, 'reviewer');
  await openProposal(page, 'quote-formula');
  await expect(page.locator('[data-testid="diff-editor"][data-diff-ready="true"]')).toBeVisible();
  console.log(await page.evaluate(() => [...document.querySelectorAll('.native-edit-context')].map((e) => e.outerHTML.slice(0, 400)).join('\n')));
});
