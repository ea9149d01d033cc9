/**
 * The review console end to end (issue 8), in Chromium through the bridge against the real core, each
 * test in its own data directory. Waits on the signals the console emits (`body[data-ready]`,
 * `body[data-role]`, the diff editor's `data-diff-ready` / `data-marker-lines`, panel `data-state`s),
 * never on sleeps; saves a screenshot of every view it passes through.
 *
 * demo workspace → the eval proposal → the finding's marker on its line in Monaco → sandbox → approve as
 * reviewer → apply refused (policy needs a lead) → unlock the lead → approve → apply → the audit log
 * shows each step and verifies → roll back as lead → files restored → an auditor can neither approve
 * nor roll back.
 */
import { execFileSync } from 'node:child_process';
import type { Page, TestInfo } from '@playwright/test';
import { demoProposals } from '../../electron/core/demo/content';
import { expect, test } from './fixtures';
import { acknowledgeEvery } from './helpers';

/** The demo proposal that evaluates user input, and the file and line of its `eval`. */
function evalProposal(): { readonly name: string; readonly path: string; readonly line: number } {
  for (const proposal of demoProposals) {
    for (const change of proposal.changes) {
      const lines = change.modified?.split('\n') ?? [];
      const index = lines.findIndex((line) => line.includes('eval('));
      if (index !== -1) return { name: proposal.name, path: change.path, line: index + 1 };
    }
  }
  throw new Error('the demo content has no eval proposal');
}

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Calls a channel from the page, as the renderer would (and as an attacker in the renderer could). */
async function invoke(page: Page, channel: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  return page.evaluate(
    ([name, payload]) =>
      (window as unknown as { gatehouse: { invoke(c: string, i: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> } }).gatehouse.invoke(
        name as string,
        payload,
      ),
    [channel, input] as const,
  );
}

/** Unlocks a demo operator through the switch dialog (the demo's one-click unlock). */
async function switchTo(page: Page, role: 'reviewer' | 'lead' | 'auditor'): Promise<void> {
  await page.getByTestId('switch-operator').click();
  const dialog = page.getByTestId('switch-dialog');
  await dialog.getByTestId(`demo-unlock-${role}`).click();
  await page.waitForSelector(`body[data-role="${role}"]`);
  await expect(dialog).toBeHidden();
}

/** The text of a file on a branch of the demo repository, read with native git (not through Gatehouse). */
function gitShow(repository: string, branch: string, path: string): string {
  return execFileSync('git', ['-C', repository, 'show', `${branch}:${path}`], { encoding: 'utf8' });
}

test('demo workspace: review, sandbox, two-person approval, apply, audit, rollback, auditor limits', async ({ gatehouse }, testInfo) => {
  test.setTimeout(600_000);
  const { page } = gatehouse;
  const target = evalProposal();

  // First run: build the demo workspace.
  await page.waitForSelector('body[data-ready="true"]');
  await expect(page.getByTestId('first-run-view')).toBeVisible();
  await snap(page, testInfo, '01-first-run');
  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('demo-operators')).toBeVisible({ timeout: 120_000 });
  const repositoryPath = (await page.getByTestId('demo-path').textContent()) ?? '';
  expect(repositoryPath).not.toBe('');
  await snap(page, testInfo, '02-demo-operators');

  // Reviewer: the queue holds the four demo proposals.
  await page.getByTestId('demo-unlock-reviewer').click();
  await page.waitForSelector('body[data-role="reviewer"]');
  await expect(page.getByTestId('operator-badge')).toContainText('reviewer');
  await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', String(demoProposals.length), { timeout: 120_000 });
  await snap(page, testInfo, '03-queue');

  // Open the eval proposal: its finding is listed and marked on its line in the diff.
  await page.locator(`[data-testid="queue-row"][data-proposal-id="${target.name}"]`).getByTestId('queue-open').click();
  await expect(page.getByTestId('review-view')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  await page.locator(`[data-testid="file-row"][data-path="${target.path}"]`).getByTestId('file-open').click();
  const diff = page.locator(`[data-testid="diff-editor"][data-path="${target.path}"][data-diff-ready="true"]`);
  await expect(diff).toBeVisible();
  const finding = page.locator(`[data-testid="finding"][data-path="${target.path}"][data-line="${target.line}"][data-introduced="true"]`);
  await expect(finding.first()).toBeVisible();
  expect((await diff.getAttribute('data-marker-lines'))?.split(',')).toContain(String(target.line));
  // A gutter glyph sits in the row of the eval's line number, in the new side's editor.
  await expect
    .poll(() =>
      page.evaluate((line) => {
        const editor = document.querySelector('[data-testid="diff-editor"] .editor.modified');
        if (editor === null) return 'no modified editor';
        const number = [...editor.querySelectorAll('.line-numbers')].find((element) => element.textContent?.trim() === String(line));
        if (number === undefined) return 'line not rendered';
        const row = number.getBoundingClientRect();
        const centres = [...editor.querySelectorAll('.gh-glyph')].map((element) => {
          const box = element.getBoundingClientRect();
          return box.top + box.height / 2;
        });
        return centres.some((centre) => centre >= row.top && centre <= row.bottom) ? 'aligned' : `glyph centres ${centres.join(',')}, line ${row.top}..${row.bottom}`;
      }, target.line),
    )
    .toBe('aligned');
  await snap(page, testInfo, '04-review-finding');

  // The keyboard: j/k walk the files, n selects the next finding, ? lists the shortcuts.
  const currentPath = page.getByTestId('current-path');
  await page.keyboard.press('j');
  await expect(currentPath).not.toHaveText(target.path);
  await page.keyboard.press('k');
  await expect(currentPath).toHaveText(target.path);
  await page.keyboard.press('n');
  await expect(page.locator('[data-testid="finding"].current')).toHaveAttribute('data-path', target.path);
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcut-help')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcut-help')).toBeHidden();

  // The sandbox runs base and head; without a Docker Engine it fails closed, with its error code on screen.
  const info = await invoke(page, 'app:info', {});
  const dockerReachable = (info.value as { docker: { reachable: boolean } }).docker.reachable;
  await page.getByTestId('tab-sandbox').click();
  await page.getByTestId('sandbox-run').click();
  const sandbox = page.getByTestId('sandbox-panel');
  await expect(sandbox).toHaveAttribute('data-state', /^(finished|failed)$/, { timeout: 300_000 });
  if (dockerReachable) {
    await expect(sandbox).toHaveAttribute('data-state', 'finished');
    await expect(page.getByTestId('sandbox-result')).toBeVisible();
  } else {
    await expect(sandbox.getByTestId(/sandbox-(error|failure-note)/).first()).toContainText('UNAVAILABLE');
  }
  await snap(page, testInfo, '05-sandbox');

  // Approve as the reviewer, from the keyboard.
  await page.getByTestId('tab-decision').click();
  await page.keyboard.press('a');
  const decision = page.getByTestId('decision-dialog');
  // The eval finding and the unviewed files need an acknowledgement, signed with the approval.
  await acknowledgeEvery(decision, /Accepted risk/);
  await decision.getByTestId('decision-reason').fill('Read the diff and the findings; tests pass in the sandbox.');
  await decision.getByTestId('decision-submit').click();
  await expect(decision.getByTestId('signed-decision')).toHaveAttribute('data-decision', 'approve');
  const expiresAt = await decision.getByTestId('signed-expires').getAttribute('data-expires-at');
  expect(Date.parse(expiresAt ?? '')).toBeGreaterThan(Date.now());
  await snap(page, testInfo, '06-approved-by-reviewer');
  await decision.getByTestId('signed-done').click();

  // Apply is not offered, and main refuses it anyway: the policy needs a lead.
  await expect(page.getByTestId('gate')).toHaveAttribute('data-allowed', 'false');
  await expect(page.getByTestId('gate-summary')).toContainText(/lead/i);
  await expect(page.getByTestId('apply-button')).toHaveCount(0);
  const shown = await invoke(page, 'proposal:show', { repositoryId: await repositoryId(page, target.name), proposalId: target.name });
  const summary = (shown.value as { summary: { repositoryId: string; proposalId: string; headOid: string; treeOid: string } }).summary;
  const revision = { repositoryId: summary.repositoryId, proposalId: summary.proposalId, headOid: summary.headOid, treeOid: summary.treeOid };
  const refused = await invoke(page, 'proposal:apply', revision);
  expect(refused).toMatchObject({ ok: false, error: { code: 'POLICY_DENIED' } });
  await snap(page, testInfo, '07-apply-needs-a-lead');

  // The lead approves and applies; the apply names the checkpoint it took.
  await switchTo(page, 'lead');
  await page.getByTestId('tab-decision').click();
  await page.getByTestId('approve-button').click();
  await acknowledgeEvery(decision, /Accepted risk/);
  await decision.getByTestId('decision-reason').fill('Second approval: the quote endpoint is what sales asked for.');
  await decision.getByTestId('decision-submit').click();
  await expect(decision.getByTestId('signed-decision')).toBeVisible();
  await decision.getByTestId('signed-done').click();
  await expect(page.getByTestId('gate')).toHaveAttribute('data-allowed', 'true');
  await page.getByTestId('apply-button').click();
  const apply = page.getByTestId('apply-dialog');
  await expect(apply.getByTestId('apply-checkpoint-note')).toContainText('checkpoint');
  await apply.getByTestId('apply-confirm').click();
  const applied = apply.getByTestId('apply-result');
  await expect(applied).toBeVisible({ timeout: 120_000 });
  const checkpointId = (await applied.getAttribute('data-checkpoint-id')) ?? '';
  expect(checkpointId).not.toBe('');
  await snap(page, testInfo, '08-applied');
  await apply.getByTestId('apply-done').click();
  const repository = await repositoryPathOf(page, summary.repositoryId, repositoryPath);
  const targetBranch = await targetBranchOf(page, summary.repositoryId);
  expect(gitShow(repository, targetBranch, target.path)).toContain('eval(');

  // The audit log shows every step, and its chain verifies.
  await page.getByTestId('nav-audit').click();
  await expect(page.getByTestId('audit-table')).toHaveAttribute('data-first-page-ready', 'true');
  const logged = await invoke(page, 'audit:search', { limit: 1000 });
  const actions = (logged.value as { events: ReadonlyArray<{ action: string }> }).events.map((event) => event.action);
  const expected = ['approval.minted', 'apply.refused', 'apply.completed', 'checkpoint.created', ...(dockerReachable ? ['sandbox.run'] : [])];
  for (const action of expected) expect(actions, `the audit log records ${action}`).toContain(action);
  expect(actions.filter((action) => action === 'approval.minted')).toHaveLength(2);
  await expect(page.locator('[data-testid="audit-row"][data-action="apply.completed"]').first()).toBeVisible();
  await page.getByTestId('verify-now').click();
  await expect(page.getByTestId('chain-status')).toHaveAttribute('data-state', 'ok', { timeout: 120_000 });
  await page.getByTestId('audit-export-panel').locator('summary').click();
  await page.getByTestId('audit-export').click();
  await expect(page.getByTestId('audit-export-result')).toHaveAttribute('data-file', /\.jsonl$/);
  await page.getByTestId('audit-export-panel').locator('summary').click();
  // A click on the row's number selects it (a click on an actor, action or subject filters by it).
  await page.locator('[data-testid="audit-row"][data-action="apply.completed"]').first().locator('[role="cell"]').first().click();
  await expect(page.getByTestId('event-detail')).toContainText('apply.completed');
  await snap(page, testInfo, '09-audit-verified');

  // Roll back to the checkpoint the apply took; the target branch loses the eval again.
  await page.getByTestId('nav-checkpoints').click();
  await page.locator(`[data-testid="checkpoint-row"][data-id="${checkpointId}"]`).getByTestId('checkpoint-select').click();
  await expect(page.getByTestId('checkpoint-preview')).toHaveAttribute('data-id', checkpointId);
  await expect(page.getByTestId('preview-changes')).toContainText(target.path);
  // The preview names the apply it undoes and shows the line changes.
  await expect(page.locator(`[data-testid="preview-undoes-item"][data-proposal="${target.name}"]`)).toContainText('by lee');
  await page.locator(`[data-testid="preview-diff"][data-path="${target.path}"] summary`).click();
  await expect(page.locator(`[data-testid="preview-diff"][data-path="${target.path}"]`)).toContainText('-    result = eval(');
  await snap(page, testInfo, '10-checkpoint-preview');
  await page.getByTestId('rollback-button').click();
  const rollback = page.getByTestId('rollback-dialog');
  await expect(rollback.getByTestId('rollback-reason')).toBeFocused();
  await rollback.getByTestId('rollback-understood').check();
  await expect(rollback.getByTestId('rollback-confirm')).toBeDisabled();
  await rollback.getByTestId('rollback-reason').fill('The quote endpoint evaluates caller input; undo it.');
  await rollback.getByTestId('rollback-confirm').click();
  const result = page.getByTestId('rollback-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  expect(await result.getAttribute('data-undo-id')).not.toBe('');
  expect(gitShow(repository, targetBranch, target.path)).not.toContain('eval(');
  await snap(page, testInfo, '11-rolled-back');

  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('policy-source')).toBeVisible();
  await snap(page, testInfo, '12-settings');

  // An auditor reads everything and changes nothing: no decision or rollback controls, and main refuses.
  await switchTo(page, 'auditor');
  await page.evaluate((hash) => {
    window.location.hash = hash;
  }, `#/review/${encodeURIComponent(summary.repositoryId)}/${target.name}`);
  await page.waitForSelector('body[data-view="review"][data-role="auditor"]');
  await expect(page.getByTestId('review-view')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('tab-decision').click();
  await expect(page.getByTestId('read-only-note')).toBeVisible();
  await expect(page.getByTestId('approve-button')).toHaveCount(0);
  await page.keyboard.press('a');
  await expect(page.getByTestId('decision-dialog')).toBeHidden();
  await snap(page, testInfo, '13-auditor-review');
  const approveAsAuditor = await invoke(page, 'proposal:approve', { ...revision, reason: 'an auditor may not approve' });
  expect(approveAsAuditor).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_ROLE' } });
  await page.getByTestId('nav-checkpoints').click();
  await expect(page.getByTestId('checkpoint-preview')).toBeVisible();
  await expect(page.getByTestId('rollback-button')).toHaveCount(0);
  await expect(page.getByTestId('rollback-lead-only')).toBeVisible();
  const rollbackAsAuditor = await invoke(page, 'checkpoint:rollback', { repositoryId: summary.repositoryId, checkpointId, confirm: true });
  expect(rollbackAsAuditor).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_ROLE' } });
  await snap(page, testInfo, '14-auditor-checkpoints');
});

test('first run: create your own operator, land in an empty queue that says what to do next', async ({ gatehouse }, testInfo) => {
  const { page } = gatehouse;
  await page.waitForSelector('body[data-ready="true"]');
  await page.getByTestId('create-name').fill('morgan');
  await page.getByTestId('create-role-lead').check();
  await page.getByTestId('create-passphrase').fill('correct horse battery');
  await page.getByTestId('create-confirm').fill('correct horse battery');
  await page.getByTestId('create-submit').click();
  await page.waitForSelector('body[data-role="lead"][data-operator="morgan"]');
  await expect(page.getByTestId('queue-empty')).toContainText('No repositories yet');
  await snap(page, testInfo, 'empty-queue');

  // A refused call shows its Result code and message, never a blank or a stack.
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('repo-path').fill('/nonexistent/not-a-repository');
  await page.getByTestId('repo-add').click();
  const error = page.getByTestId('repo-add-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('data-code', /^[A-Z_]+$/);
  await expect(error).not.toContainText(' at ');
  await snap(page, testInfo, 'refused-with-code');

  // Lock, then unlock with a wrong passphrase: refused with a code, and the lock screen stays.
  await page.getByTestId('lock-session').click();
  await expect(page.getByTestId('unlock-view')).toBeVisible();
  await page.getByTestId('unlock-passphrase').fill('not the passphrase');
  await page.getByTestId('unlock-submit').click();
  await expect(page.getByTestId('unlock-error')).toHaveAttribute('data-code', /^[A-Z_]+$/);
  await page.getByTestId('unlock-passphrase').fill('correct horse battery');
  await page.getByTestId('unlock-submit').click();
  await page.waitForSelector('body[data-role="lead"]');
});

async function repositoryId(page: Page, proposalId: string): Promise<string> {
  const list = await invoke(page, 'proposal:list', {});
  const row = (list.value as ReadonlyArray<{ repositoryId: string; proposalId: string }>).find((item) => item.proposalId === proposalId);
  if (row === undefined) throw new Error(`${proposalId} is not in the queue`);
  return row.repositoryId;
}

async function repositoryPathOf(page: Page, id: string, fallback: string): Promise<string> {
  const list = await invoke(page, 'repo:list', {});
  return (list.value as ReadonlyArray<{ id: string; path: string }>).find((item) => item.id === id)?.path ?? fallback;
}

async function targetBranchOf(page: Page, id: string): Promise<string> {
  const list = await invoke(page, 'repo:list', {});
  const found = (list.value as ReadonlyArray<{ id: string; targetBranch: string }>).find((item) => item.id === id);
  if (found === undefined) throw new Error(`repository ${id} is not registered`);
  return found.targetBranch;
}
