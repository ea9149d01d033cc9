/**
 * The plain diff a review draws with its first render (renderer/features/review/DiffPreview.tsx), in
 * Chromium through the bridge against the real core and a real git repository.
 *
 * Monaco's scripts are held back at the network (the page asks for them; they are answered only when
 * the test says so), so the plain diff stays on screen long enough to be read: the change with its
 * line numbers, the finding's glyph on its line, a Trojan Source line with its bidirectional controls
 * spelled out instead of reordering the text, accessible in both themes. Released, the diff editor's
 * own diff replaces it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from './fixtures';
import { expectAccessible, openDemo, openProposal, snap } from './helpers';

const proposal = 'quote-formula';
const path = 'pricing/admin_check.py';
// Line 7 evaluates caller input (a finding); line 9 is the CVE-2021-42574 example: an override and
// isolates make `return` read as part of the comment.
const text = [
  'from flask import request',
  '',
  '',
  'def run():',
  '    formula = request.args.get("formula")',
  '    expression = "1 + " + formula',
  '    return eval(expression)',
  '',
  '    if access_level != "user\u202E \u2066# Check if admin\u2069 \u2066":',
  '        return True',
  '',
].join('\n');

test('reviewer: the plain diff is on screen with the review, findings and hidden characters on their lines, until the diff editor covers it', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  // Monaco's chunks are answered only once released.
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(/\/assets\/monaco-[^/]*\.js$/, async (route) => {
    await released;
    await route.continue();
  });

  const { repositoryPath } = await openDemo(page, 'reviewer');
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });
  const git = (...args: string[]) => execFileSync('git', ['-C', repositoryPath, ...args], { encoding: 'utf8' });
  git('checkout', '-q', `proposals/${proposal}`);
  mkdirSync(dirname(join(repositoryPath, path)), { recursive: true });
  writeFileSync(join(repositoryPath, path), text);
  git('add', path);
  git('-c', 'user.name=pricing-agent', '-c', 'user.email=pricing-agent@agents.gatehouse.invalid', 'commit', '-q', '-m', 'Add an admin check');
  git('checkout', '-q', 'main');
  await openProposal(page, proposal);
  await page.locator(`[data-testid="file-row"][data-path="${path}"]`).getByTestId('file-open').click();

  // The plain diff: every line of the added file, numbered, the finding's glyph on line 7.
  const preview = page.locator(`[data-testid="diff-preview"][data-path="${path}"]`);
  await expect(preview).toHaveAttribute('data-state', 'diff');
  await expect(preview).toHaveAttribute('data-finding-lines', /(^|,)7(,|$)/);
  await expect(preview).toHaveAttribute('data-hidden-lines', /(^|,)9(,|$)/);
  const row = (line: number) => preview.locator('tr').filter({ has: page.locator('td.diff-preview-number', { hasText: new RegExp(`^${line}$`) }) });
  await expect(row(7)).toContainText('return eval(expression)');
  await expect(row(7).getByRole('img', { name: /finding.*worst (critical|high)/ })).toBeVisible();
  // The Trojan Source line: its controls are named, none of them is in the drawn text.
  const trojan = row(9);
  await expect(trojan.locator('.diff-preview-invisible')).toHaveText(['U+202E', 'U+2066', 'U+2069', 'U+2066']);
  const drawn = await trojan.locator('td.diff-preview-added').innerText();
  expect(drawn).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/u);
  expect(drawn).toContain('# Check if admin');
  await expect(trojan.getByRole('img', { name: 'hidden characters on this line' })).toBeVisible();
  // The diff editor has not started: nothing on screen claims its diff.
  await expect(page.locator('[data-testid="diff-editor"][data-diff-ready="true"]')).toHaveCount(0);
  await snap(page, testInfo, 'p01-plain-diff');
  await expectAccessible(page, testInfo, 'review-plain-diff');

  // Inline, the plain diff is one column: each line once, numbered on the side it is on.
  await page.getByTestId('toggle-inline').click();
  await expect(preview).toHaveAttribute('data-view', 'inline');
  await expect(row(7)).toContainText('return eval(expression)');
  await expect(row(7).getByRole('img', { name: /finding.*worst (critical|high)/ })).toBeVisible();
  await expect(preview.locator('td.diff-preview-added')).toHaveCount(10);
  await expect(preview.locator('td.diff-preview-empty')).toHaveCount(0);
  await snap(page, testInfo, 'p02-plain-diff-inline');
  await page.getByTestId('toggle-inline').click();
  await expect(preview).toHaveAttribute('data-view', 'side-by-side');

  // A modified file: removed and added lines side by side, the finding on its head line.
  await page.locator('[data-testid="file-row"][data-path="pricing/api.py"]').getByTestId('file-open').click();
  const modified = page.locator('[data-testid="diff-preview"][data-path="pricing/api.py"]');
  await expect(modified).toHaveAttribute('data-finding-lines', /(^|,)17(,|$)/);
  await expect(modified.locator('td.diff-preview-added').first()).toBeVisible();
  await expect(modified.locator('tr.diff-preview-hunk').first()).toHaveText(/^@@ -\d+,\d+ \+\d+,\d+ @@$/);
  await page.locator(`[data-testid="file-row"][data-path="${path}"]`).getByTestId('file-open').click();
  await expect(preview).toBeVisible();

  // Monaco arrives: its diff, with the finding's marker, replaces the plain one.
  release();
  const editor = page.locator(`[data-testid="diff-editor"][data-path="${path}"][data-diff-ready="true"]`);
  await expect(editor).toBeVisible({ timeout: 120_000 });
  await expect(editor).toHaveAttribute('data-marker-lines', /(^|,)7(,|$)/);
  await expect(page.getByTestId('diff-preview')).toHaveCount(0);
  await snap(page, testInfo, 'p03-diff-editor');
});
