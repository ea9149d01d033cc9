/**
 * What the findings panel tells a reviewer about a file that does not parse (issue 13), in Chromium
 * through the bridge against the real core and a real git repository.
 *
 * The agent revises a proposal with a Python file whose second function has a syntax error. The panel
 * names the file and its first error line, so that "no findings" is never read as "checked"; the finding
 * in the part that does parse still shows, with its data flow from source to sink; and both the error
 * and each flow step reveal their line in the diff.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { expectAccessible, openDemo, openProposal, snap } from './helpers';

const proposal = 'quote-formula';
const brokenPath = 'pricing/broken.py';
// Lines: the source is on 5, the concatenation on 6, eval on 7; `def broken(:` on 10 does not parse.
const brokenFile = 'from flask import request\n\n\ndef run():\n    formula = request.args.get("formula")\n    expression = "1 + " + formula\n    return eval(expression)\n\n\ndef broken(:\n    pass\n';

/** The line the cursor is on in the new side of the diff. */
function activeLine(page: Page) {
  return page.locator('[data-testid="diff-editor"] .editor.modified .line-numbers.active-line-number');
}

test('reviewer: a file that does not parse is named with its error line; findings in the parts that parse still show, with their flow', async ({ gatehouse }, testInfo) => {
  test.setTimeout(300_000);
  const { page } = gatehouse;
  const { repositoryPath } = await openDemo(page, 'reviewer');
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });

  // The agent adds a file that parses only in part.
  const git = (...args: string[]) => execFileSync('git', ['-C', repositoryPath, ...args], { encoding: 'utf8' });
  git('checkout', '-q', `proposals/${proposal}`);
  writeFileSync(join(repositoryPath, brokenPath), brokenFile);
  git('add', brokenPath);
  git('-c', 'user.name=pricing-agent', '-c', 'user.email=pricing-agent@agents.gatehouse.invalid', 'commit', '-q', '-m', 'Add a formula runner');
  git('checkout', '-q', 'main');
  await openProposal(page, proposal);

  // The panel says which file did not parse, and where.
  const notice = page.getByTestId('parse-errors');
  await expect(notice).toHaveAttribute('data-count', '1');
  await expect(notice).toContainText('1 file did not parse');
  await expect(notice.getByRole('button', { name: `${brokenPath}:10` })).toBeVisible();

  // The part before the error still has its finding, with the flow from the request to eval.
  const finding = page.locator(`[data-testid="finding"][data-path="${brokenPath}"][data-line="7"]`);
  await expect(finding).toHaveAttribute('data-rule', 'python.code-execution.eval');
  const flow = finding.getByTestId('finding-flow');
  await expect(flow).toHaveAttribute('data-steps', '3');
  const steps = flow.getByTestId('flow-step');
  await expect(steps.first()).toHaveAttribute('data-line', '5');
  await expect(steps.last()).toHaveAttribute('data-line', '7');
  await snap(page, testInfo, 'f01-parse-error-and-flow');
  await expectAccessible(page, testInfo, 'findings-parse-error');

  // The flow's source and the parse error each reveal their line in the diff.
  await steps.first().click();
  await expect(page.getByTestId('current-path')).toHaveText(brokenPath);
  await expect(page.locator(`[data-testid="diff-editor"][data-path="${brokenPath}"][data-diff-ready="true"]`)).toBeVisible();
  await expect(activeLine(page)).toHaveText('5');
  await notice.getByRole('button', { name: `${brokenPath}:10` }).click();
  await expect(activeLine(page)).toHaveText('10');
  await snap(page, testInfo, 'f02-parse-error-revealed');
});
