/**
 * The reviewer's journey (issue 14), in Chromium through the bridge against the real core, each test in
 * its own data directory, waiting on the console's signals, never on sleeps; screenshots kept.
 *
 * A proposal with a committed cloud key: findings grouped and filtered with CWE names; the decision dialog
 * shows the open findings by severity and the files viewed, puts the focus in the reason, and will not
 * sign an approval until each open CRITICAL/HIGH finding and each unviewed file is acknowledged — the
 * acknowledgements land in the signed token. Viewed marks are the reviewer's own: the lead starts
 * unviewed. Then line comments: a draft on a line, published with a request for changes that puts the
 * proposal in "changes requested", and the comment following its line into the agent's next revision.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { acknowledgeEvery, expectAccessible, openDemo, openProposal, snap, switchTo, valueOf } from './helpers';

const keyProposal = { name: 'nightly-export-credentials', path: 'pricing/config.py' };
const evalProposal = { name: 'quote-formula', path: 'pricing/api.py', line: 17 };

/** Clicks a line number of the new side of the diff on screen. */
async function clickLineNumber(page: Page, line: number): Promise<void> {
  const number = page.locator('[data-testid="diff-editor"] .editor.modified .line-numbers').filter({ hasText: new RegExp(`^\\s*${line}\\s*$`) });
  await number.first().click();
}

test('reviewer: the decision dialog shows what is decided on, and approving asks for signed acknowledgements', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  await openDemo(page, 'reviewer');
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });
  await openProposal(page, keyProposal.name);

  // Findings: grouped by rule, the CWE named, filtered by severity and status.
  const panel = page.getByTestId('findings-panel');
  const total = Number(await panel.getAttribute('data-count'));
  expect(total).toBeGreaterThan(0);
  await expect(page.getByTestId('finding-group').first()).toBeVisible();
  await expect(page.getByTestId('finding-cwe').filter({ hasText: 'CWE-798' }).first()).toContainText('Use of Hard-coded Credentials');
  const critical = await page.locator('[data-testid="finding"][data-severity="critical"]').count();
  const high = await page.locator('[data-testid="finding"][data-severity="high"]').count();
  expect(critical + high).toBeGreaterThan(0);
  await page.getByTestId('findings-severity-critical').uncheck();
  await expect(panel).toHaveAttribute('data-shown', String(total - critical));
  await page.getByTestId('findings-severity-critical').check();
  await page.getByTestId('findings-status').selectOption('pre-existing');
  await expect(panel).toHaveAttribute('data-shown', String(await page.locator('[data-testid="finding"][data-introduced="false"]').count()));
  await page.getByTestId('findings-status').selectOption('all');
  await page.getByTestId('findings-group-by').selectOption('file');
  await expect(page.locator(`[data-testid="finding-group"][data-group="${keyProposal.path}"]`)).toBeVisible();
  await snap(page, testInfo, 'r01-findings-grouped');

  // The decision dialog: findings by severity, files viewed, focus in the reason, no signing yet.
  await page.keyboard.press('a');
  const dialog = page.getByTestId('decision-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('decision-reason')).toBeFocused();
  await expect(dialog.getByTestId('decision-statement')).toContainText('You sign an approval of exactly this revision');
  await expect(dialog.getByTestId('decision-viewed')).toHaveAttribute('data-viewed', '0');
  await expect(dialog.locator('[data-testid="decision-severity"][data-severity="critical"], [data-testid="decision-severity"][data-severity="high"]').first()).toBeVisible();
  const acknowledgements = dialog.getByTestId('acknowledgements');
  const required = Number(await acknowledgements.getAttribute('data-required'));
  await expect(dialog.locator(`[data-testid="ack-item"][data-target="unviewed-file"][data-ref="${keyProposal.path}"]`)).toBeVisible();
  await dialog.getByTestId('decision-reason').fill('Reviewed the export job; the key is a revoked test key.');
  await expect(dialog.getByTestId('decision-submit')).toBeDisabled();
  await snap(page, testInfo, 'r02-decision-needs-acknowledgement');
  await dialog.getByTestId('decision-cancel').click();

  // Marking the file viewed takes it off the list; the findings still need their acknowledgement.
  await page.getByTestId('toggle-viewed').check();
  await expect(page.locator(`[data-testid="file-row"][data-path="${keyProposal.path}"]`)).toHaveAttribute('data-viewed', 'true');
  await page.getByTestId('tab-decision').click();
  await page.getByTestId('approve-button').click();
  await expect(dialog.getByTestId('decision-viewed')).toHaveAttribute('data-viewed', '1');
  await expect(acknowledgements).toHaveAttribute('data-required', String(required - 1));
  const picked = await acknowledgeEvery(dialog, /Accepted risk/);
  expect(picked).toBe(required - 1);
  await expect(acknowledgements).toHaveAttribute('data-outstanding', '0');
  await dialog.getByTestId('decision-reason').fill('Accepted for the nightly export only; rotation ticket filed.');
  await dialog.getByTestId('decision-submit').click();
  const signed = dialog.getByTestId('signed-acknowledgements');
  await expect(signed).toHaveAttribute('data-count', String(required - 1));
  await snap(page, testInfo, 'r03-approved-with-acknowledgements');
  await dialog.getByTestId('signed-done').click();

  // The signed token carries the acknowledgements.
  const rows = await valueOf<ReadonlyArray<{ repositoryId: string; proposalId: string }>>(page, 'proposal:list', {});
  const repositoryId = rows.find((row) => row.proposalId === keyProposal.name)?.repositoryId ?? '';
  const shown = await valueOf<{ approvals: ReadonlyArray<{ token: string; operatorName: string }> }>(page, 'proposal:show', { repositoryId, proposalId: keyProposal.name });
  const token = shown.approvals.find((approval) => approval.operatorName === 'rita')?.token ?? '';
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { acknowledgements?: unknown[] };
  expect(claims.acknowledgements).toHaveLength(required - 1);

  // The lead does not inherit the reviewer's ticks.
  await switchTo(page, 'lead');
  await expect(page.locator(`[data-testid="file-row"][data-path="${keyProposal.path}"]`)).toHaveAttribute('data-viewed', 'false');
  await expect(page.getByTestId('viewed-count')).toContainText('0/');
  await snap(page, testInfo, 'r04-lead-starts-unviewed');
});

test('reviewer: a draft line comment, published with a request for changes, follows its line into the next revision', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  const { repositoryPath } = await openDemo(page, 'reviewer');
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });
  await openProposal(page, evalProposal.name);
  await page.locator(`[data-testid="file-row"][data-path="${evalProposal.path}"]`).getByTestId('file-open').click();
  await expect(page.locator(`[data-testid="diff-editor"][data-path="${evalProposal.path}"][data-diff-ready="true"]`)).toBeVisible();

  // A draft on the eval's line.
  await clickLineNumber(page, evalProposal.line);
  await page.getByTestId('tab-comments').click();
  await expect(page.getByTestId('comment-target')).toHaveAttribute('data-line', String(evalProposal.line));
  await page.getByTestId('comment-body').fill('Never eval caller input: parse the formula with a small grammar instead.');
  await page.getByTestId('comment-save').click();
  const comment = page.locator('[data-testid="comment"][data-state="draft"]');
  await expect(comment).toHaveAttribute('data-line', String(evalProposal.line));
  await snap(page, testInfo, 'c01-draft-comment');

  // Request changes: the draft is published with it, and the proposal reads "changes requested".
  await page.keyboard.press('c');
  const dialog = page.getByTestId('decision-dialog');
  await expect(dialog.getByTestId('decision-drafts')).toHaveAttribute('data-drafts', '1');
  await expect(dialog.getByTestId('decision-reason')).toBeFocused();
  await dialog.getByTestId('decision-reason').fill('eval of caller input; see the line comment.');
  await dialog.getByTestId('decision-submit').click();
  await expect(dialog.getByTestId('signed-decision')).toHaveAttribute('data-decision', 'request_changes');
  await dialog.getByTestId('signed-done').click();
  await expect(page.getByTestId('changes-requested')).toContainText('rita');
  await expect(page.locator('[data-testid="comment"][data-state="published"]')).toHaveAttribute('data-line', String(evalProposal.line));
  await snap(page, testInfo, 'c02-changes-requested');
  // The queue row says so too.
  await page.getByTestId('nav-queue').click();
  const row = page.locator(`[data-testid="queue-row"][data-proposal-id="${evalProposal.name}"]`);
  await expect(row).toHaveAttribute('data-review-state', 'changes-requested');
  await expect(row.getByTestId('queue-changes-requested')).toBeVisible();
  await snap(page, testInfo, 'c02b-queue-changes-requested');
  await expectAccessible(page, testInfo, 'queue-changes-requested');
  await openProposal(page, evalProposal.name);

  // The agent revises: two lines on top of the file; the comment follows its line (now two lower).
  const git = (...args: string[]) => execFileSync('git', ['-C', repositoryPath, ...args], { encoding: 'utf8' });
  git('checkout', '-q', `proposals/${evalProposal.name}`);
  writeFileSync(join(repositoryPath, evalProposal.path), `# Quotes: see the pricing guide.\n# Formulas are evaluated per request.\n${git('show', `HEAD:${evalProposal.path}`)}`);
  git('add', evalProposal.path);
  git('-c', 'user.name=pricing-agent', '-c', 'user.email=pricing-agent@agents.gatehouse.invalid', 'commit', '-q', '-m', 'Document quotes');
  git('checkout', '-q', 'main');
  await page.reload();
  await expect(page.getByTestId('review-view')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  await page.getByTestId('tab-comments').click();
  const followed = page.locator('[data-testid="comment"][data-state="published"]');
  await expect(followed).toHaveAttribute('data-earlier', 'true');
  await expect(followed).toHaveAttribute('data-line', String(evalProposal.line + 2));
  await expect(page.getByTestId('changes-requested')).toHaveCount(0);
  await snap(page, testInfo, 'c03-comment-follows-its-line');
  // A new revision ends "changes requested" on the queue row as well.
  await page.getByTestId('nav-queue').click();
  await expect(row).toHaveAttribute('data-review-state', 'open');
  await expect(row.getByTestId('queue-changes-requested')).toHaveCount(0);
});

test('reviewer: search across all files reveals the line; the file filter narrows the tree', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  await openDemo(page, 'reviewer');
  await openProposal(page, evalProposal.name);
  const files = Number(await page.getByTestId('file-tree').getAttribute('data-files'));
  expect(files).toBeGreaterThan(1);

  // Search every file of the proposal (main reads them), then jump to a hit.
  await page.getByTestId('search-input').fill('EVAL(');
  await page.getByTestId('search-input').press('Enter');
  const results = page.getByTestId('search-results');
  await expect(results).toHaveAttribute('data-state', 'done');
  const hit = page.locator(`[data-testid="search-hit"][data-path="${evalProposal.path}"]`).first();
  await expect(hit).toBeVisible();
  const line = Number(await hit.getAttribute('data-line'));
  expect(line).toBeGreaterThan(0);
  await expect(page.getByTestId('search-summary')).toContainText(/\d+ match/);
  await snap(page, testInfo, 's01-search-across-files');
  // Case-sensitive, the upper-case query finds nothing.
  await page.getByTestId('search-case').check();
  await expect(page.getByTestId('search-summary')).toContainText('No match');
  await page.getByTestId('search-case').uncheck();
  await hit.click();
  await expect(page.getByTestId('current-path')).toHaveText(evalProposal.path);
  await expect(page.locator(`[data-testid="diff-editor"][data-path="${evalProposal.path}"][data-diff-ready="true"]`)).toBeVisible();
  await expect(page.locator('[data-testid="diff-editor"] .editor.modified .line-numbers.active-line-number')).toHaveText(String(line));

  // The filter box narrows the tree to matching paths, and says how many of how many.
  await page.getByTestId('file-filter').fill('TESTS/');
  const rows = page.getByTestId('file-row');
  await expect(page.getByTestId('file-count')).toContainText(`of ${files} files`);
  const shown = await rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-path') ?? ''));
  expect(shown.length).toBeGreaterThan(0);
  expect(shown.every((path) => path.toLowerCase().includes('tests/'))).toBe(true);
  await snap(page, testInfo, 's02-file-filter');
  await page.getByTestId('file-filter').fill('no-such-path');
  await expect(page.getByTestId('file-filter-empty')).toBeVisible();
  await page.getByTestId('file-filter').fill('');
  await expect(rows).toHaveCount(files);
});

test('reviewer at 1024×700: the file path stays visible; panes collapse, resize and are remembered', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  await page.setViewportSize({ width: 1024, height: 700 });
  await openDemo(page, 'reviewer');
  await openProposal(page, keyProposal.name);
  const path = page.getByTestId('current-path');
  await expect(path).toBeVisible();
  // The whole path is on screen, not cut to an ellipsis.
  expect(await path.evaluate((element) => element.scrollWidth <= element.clientWidth + 1 && element.getBoundingClientRect().width > 100)).toBe(true);
  await snap(page, testInfo, 'p01-1024x700');

  // The review panels grow from the keyboard; the file list collapses.
  const side = page.getByTestId('pane-side');
  const sizeOf = async (pane: string): Promise<number> => Number(await page.getByTestId(pane).getAttribute('data-panel-size'));
  const before = await sizeOf('pane-side');
  await page.getByTestId('resize-side').focus();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => sizeOf('pane-side')).toBeGreaterThan(before);
  const grown = await sizeOf('pane-side');
  // react-resizable-panels saves a layout 100 ms after it changes: the reload below must come after the save.
  const savedLayout = (): Promise<string> =>
    page.evaluate(() => Object.keys(localStorage).filter((key) => key.includes('gatehouse.review-panes.rita')).map((key) => localStorage.getItem(key) ?? '').join('|'));
  const layoutBeforeCollapse = await savedLayout();
  await page.getByTestId('toggle-files-pane').click();
  await expect(page.getByTestId('pane-files')).toHaveAttribute('data-collapsed', 'true');
  await expect(page.getByTestId('file-tree')).toBeHidden();
  await expect(path).toBeVisible();
  await snap(page, testInfo, 'p02-files-collapsed');

  // A reload keeps this operator's layout.
  await expect.poll(savedLayout).not.toBe(layoutBeforeCollapse);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await valueOf(page, 'session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' });
  await page.waitForSelector('body[data-role="reviewer"]');
  // The reload kept the route: the proposal opens again.
  await expect(page.getByTestId('review-view')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  await expect(page.getByTestId('pane-files')).toHaveAttribute('data-collapsed', 'true');
  expect(Math.abs((await sizeOf('pane-side')) - grown)).toBeLessThan(0.5);
  await page.getByTestId('toggle-files-pane').click();
  await expect(page.getByTestId('file-tree')).toBeVisible();
  await expect(side).toBeVisible();
});

test('reviewer: the sandbox log per side, a failing test linked to its line, and what the sandbox blocked', async ({ gatehouse }, testInfo) => {
  test.setTimeout(600_000);
  const { page } = gatehouse;
  await openDemo(page, 'reviewer');
  const info = await valueOf<{ docker: { reachable: boolean; reason: string | null } }>(page, 'app:info', {});
  test.skip(!info.docker.reachable && process.env.GATEHOUSE_REQUIRE_DOCKER !== '1', `no reachable Docker engine: ${info.docker.reason}`);
  const escape = { name: 'test-environment-check', path: 'tests/test_environment.py' };
  await openProposal(page, escape.name);
  await page.getByTestId('tab-sandbox').click();
  await page.getByTestId('sandbox-run').click();
  const sandbox = page.getByTestId('sandbox-panel');
  await expect(sandbox).toHaveAttribute('data-state', 'finished', { timeout: 300_000 });

  // One tab per side: the head's lines, then the base's, never interleaved.
  const log = page.getByTestId('sandbox-log');
  await page.getByTestId('sandbox-log-tab-head').click();
  await expect(log).toHaveAttribute('data-side', 'head');
  expect(await log.locator('.log-line').evaluateAll((lines) => lines.length > 0 && lines.every((line) => line.getAttribute('data-side') === 'head'))).toBe(true);
  await page.getByTestId('sandbox-log-tab-base').click();
  await expect(log).toHaveAttribute('data-side', 'base');
  expect(await log.locator('.log-line').evaluateAll((lines) => lines.every((line) => line.getAttribute('data-side') === 'base'))).toBe(true);

  // The head failed on a blocked network call: said in words, not "none".
  const blocked = page.getByTestId('sandbox-blocked');
  await expect(blocked).toHaveAttribute('data-head', /network call blocked: connect to 169\.254\.169\.254:80/);
  await snap(page, testInfo, 'x01-sandbox-blocked');
  await expectAccessible(page, testInfo, 'sandbox-result-and-log');

  // The failing test links to the line that made the call.
  const place = page.getByTestId('sandbox-places-head').locator(`[data-testid="sandbox-place"][data-path="${escape.path}"][data-blocked="true"]`).first();
  await expect(place).toBeVisible();
  const line = (await place.getAttribute('data-line')) ?? '';
  await place.click();
  await expect(page.getByTestId('current-path')).toHaveText(escape.path);
  await expect(page.locator(`[data-testid="diff-editor"][data-path="${escape.path}"][data-diff-ready="true"]`)).toBeVisible();
  await expect(page.locator('[data-testid="diff-editor"] .editor.modified .line-numbers.active-line-number')).toHaveText(line);
  await expect(page.locator('[data-testid="diff-editor"] .editor.modified .view-line').filter({ hasText: 'create_connection' })).toBeVisible();
  await snap(page, testInfo, 'x02-sandbox-failure-linked');
});
