/**
 * A newcomer (issue 14), in Chromium through the bridge against the real core, its own data directory;
 * waits on signals. The operator form states its rules before anything is sent and drops an error as soon
 * as the field is fixed; a lead with their own operator reaches the demo from the empty queue; a wrong
 * passphrase is cleared and the unlock back-off says how many attempts are left and, in local time, when
 * the wait ends.
 */
import { expect, test } from './fixtures';
import { expectAccessible, snap } from './helpers';

test('a lead with their own operator creates the demo workspace from the empty queue', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');

  // The rules are on screen before anything is typed or sent.
  const nameRule = page.getByTestId('create-name-rule');
  await expect(nameRule).toContainText('letters, digits, spaces, dots, dashes and underscores');
  await expect(nameRule).toHaveAttribute('data-problem', 'false');
  await expect(page.getByTestId('create-passphrase-rule')).toContainText('At least 12 characters');
  await expect(page.getByTestId('create-name')).toHaveAttribute('aria-describedby', 'create-name-rule');

  // A name with a slash and a short passphrase: each field says what is wrong once left, and main is never asked.
  await page.getByTestId('create-name').fill('morgan/ops');
  await page.getByTestId('create-passphrase').fill('short');
  await page.getByTestId('create-confirm').fill('short');
  await expect(nameRule).toHaveAttribute('data-problem', 'true');
  await expect(page.getByTestId('create-name')).toHaveAttribute('aria-invalid', 'true');
  await page.getByTestId('create-submit').click();
  await expect(page.getByTestId('create-passphrase-rule')).toHaveAttribute('data-problem', 'true');
  await expect(page.getByTestId('create-passphrase-rule')).toContainText('at least 12 characters');
  await expect(page.getByTestId('first-run-view')).toBeVisible();
  await snap(page, testInfo, 'n00-operator-form-errors');
  await expectAccessible(page, testInfo, 'operator-form-errors');

  // Fixing a field clears its error at once.
  await page.getByTestId('create-name').fill('morgan');
  await expect(nameRule).toHaveAttribute('data-problem', 'false');
  await expect(page.getByTestId('create-name')).toHaveAttribute('aria-invalid', 'false');
  await page.getByTestId('create-role-lead').check();
  await page.getByTestId('create-passphrase').fill('correct horse battery');
  await expect(page.getByTestId('create-passphrase-rule')).toHaveAttribute('data-problem', 'false');
  await page.getByTestId('create-confirm').fill('correct horse battery');
  await expect(page.getByTestId('create-mismatch')).toHaveCount(0);
  await page.getByTestId('create-submit').click();
  await page.waitForSelector('body[data-role="lead"][data-operator="morgan"]');
  await expect(page.getByTestId('queue-empty')).toContainText('No repositories yet');
  await page.getByTestId('queue-create-demo').click();
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', '4', { timeout: 120_000 });
  await snap(page, testInfo, 'n01-demo-from-the-queue');

  // Unlocking someone else with a wrong passphrase: the field is cleared, the attempts left are counted down,
  // and then the back-off names the local time it ends.
  await page.getByTestId('switch-operator').click();
  const dialog = page.getByTestId('switch-dialog');
  await dialog.getByTestId('unlock-operator').selectOption('rita');
  const backoff = dialog.getByTestId('unlock-backoff');
  for (const left of ['2', '1']) {
    await dialog.getByTestId('unlock-passphrase').fill('not rita passphrase');
    await dialog.getByTestId('unlock-submit').click();
    await expect(backoff).toHaveAttribute('data-attempts-left', left);
    await expect(dialog.getByTestId('unlock-passphrase')).toHaveValue('');
  }
  await expect(backoff).toContainText('1 attempt left');
  await dialog.getByTestId('unlock-passphrase').fill('not rita passphrase');
  await dialog.getByTestId('unlock-submit').click();
  await expect(backoff).toHaveAttribute('data-attempts-left', '0');
  const retryAt = (await backoff.getAttribute('data-retry-at')) ?? '';
  const local = await page.evaluate((iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }), retryAt);
  await expect(backoff).toContainText(`until ${local} (your local time)`);
  await expect(dialog.getByTestId('unlock-error')).toContainText(`try again at ${local}`);
  await expect(dialog.getByTestId('unlock-passphrase')).toHaveValue('');
  // Even the right passphrase waits now, and says until when.
  await dialog.getByTestId('unlock-passphrase').fill('rita-demo-passphrase');
  await dialog.getByTestId('unlock-submit').click();
  await expect(dialog.getByTestId('unlock-error')).toHaveAttribute('data-code', 'RATE_LIMITED');
  await expect(backoff).toContainText(local);
  await snap(page, testInfo, 'n02-unlock-backoff');
  await expectAccessible(page, testInfo, 'unlock-backoff');
  await dialog.getByTestId('switch-dialog-close').click();
  await expect(page.locator('body')).toHaveAttribute('data-operator', 'morgan');
});

test('Settings: the operator form shows its rules and clears an error when the field is fixed', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  await page.getByTestId('create-name').fill('morgan');
  await page.getByTestId('create-role-lead').check();
  await page.getByTestId('create-passphrase').fill('correct horse battery');
  await page.getByTestId('create-confirm').fill('correct horse battery');
  await page.getByTestId('create-submit').click();
  await page.waitForSelector('body[data-role="lead"][data-operator="morgan"]');
  await page.getByTestId('nav-settings').click();
  const rule = page.getByTestId('operator-name-rule');
  await expect(rule).toContainText('1 to 64 characters');
  await page.getByTestId('operator-name-input').fill('bad:name');
  await page.getByTestId('operator-passphrase-input').fill('robin passphrase one');
  await expect(rule).toHaveAttribute('data-problem', 'true');
  await page.getByTestId('operator-create').click();
  await expect(page.getByTestId('operator-created')).toHaveCount(0);
  await snap(page, testInfo, 'n03-settings-operator-error');
  await page.getByTestId('operator-name-input').fill('robin');
  await expect(rule).toHaveAttribute('data-problem', 'false');
  await page.getByTestId('operator-create').click();
  await expect(page.getByTestId('operator-created')).toContainText('robin');
  // Main's own refusal (a name taken) goes away as soon as the name is changed.
  await page.getByTestId('operator-name-input').fill('robin');
  await page.getByTestId('operator-passphrase-input').fill('robin passphrase two');
  await page.getByTestId('operator-create').click();
  await expect(page.getByTestId('operator-create-error')).toBeVisible();
  await page.getByTestId('operator-name-input').fill('robin2');
  await expect(page.getByTestId('operator-create-error')).toHaveCount(0);
});
