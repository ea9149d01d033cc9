/**
 * The lead's journey (issue 14), in Chromium through the bridge against the real core and the real
 * Docker sandbox, its own data directory, waiting on the console's signals; screenshots kept.
 *
 * An agent's change that makes the benchmark much slower is approved and applied: the applied page shows
 * the revision that landed (its diff, who applied it, the checkpoint, the approvals marked used). The
 * post-apply check in the sandbox then rolls the apply back by itself, and that is announced where the lead
 * is: a banner on the proposal and on its queue row, a notification, and the proposal's activity.
 */
import { demoBaseFiles } from '../../electron/core/demo/content';
import { expect, test } from './fixtures';
import { acknowledgeEvery, expectAccessible, invoke, openDemo, openProposal, snap, switchTo, valueOf } from './helpers';

const slow = 'slow-benchmark';
// The benchmark measures the CPU time of its loop; this change puts busy work inside the measured time.
const slowBench = (demoBaseFiles['bench.py'] ?? '').replace('start = time.process_time()\n', 'start = time.process_time()\nsum(i * i for i in range(3_000_000))\n');

test('lead: apply, the landed revision frozen, then an automatic rollback announced everywhere', async ({ gatehouse }, testInfo) => {
  test.setTimeout(600_000);
  const { page } = gatehouse;
  await openDemo(page, 'reviewer');
  const info = await valueOf<{ docker: { reachable: boolean; reason: string | null } }>(page, 'app:info', {});
  test.skip(!info.docker.reachable && process.env.GATEHOUSE_REQUIRE_DOCKER !== '1', `no reachable Docker engine: ${info.docker.reason}`);
  expect(slowBench).toContain('range(3_000_000)');

  // The agent's change set, imported as the agent would send it.
  const repositories = await valueOf<ReadonlyArray<{ id: string }>>(page, 'repo:list', {});
  const repositoryId = repositories[0]?.id ?? '';
  // Whoever imports a change is one of its authors and may not approve it: the lead brings it in, the reviewer approves.
  expect((await invoke(page, 'session:unlock', { name: 'lee', passphrase: 'lee-demo-passphrase' })).ok).toBe(true);
  const imported = await invoke(page, 'proposal:import', {
    repositoryId,
    format: 'changeset',
    name: slow,
    content: JSON.stringify({
      title: 'Warm the discount cache before measuring',
      rationale: 'Warm-up makes the benchmark steadier.',
      safetyScore: 0.97,
      riskLevel: 'MINIMAL',
      agent: { name: 'pricing-agent', email: 'pricing-agent@agents.gatehouse.invalid' },
      changes: [{ path: 'bench.py', original: demoBaseFiles['bench.py'], modified: slowBench }],
    }),
  });
  expect(imported.ok, JSON.stringify(imported.error)).toBe(true);
  expect((await invoke(page, 'session:unlock', { name: 'rita', passphrase: 'rita-demo-passphrase' })).ok).toBe(true);
  // No reload: main's event reaches the open queue even while its first load is in flight (renderer/api/invalidate.ts).
  await expect(page.locator(`[data-testid="queue-row"][data-proposal-id="${slow}"]`)).toBeVisible({ timeout: 120_000 });

  // The reviewer approves (the one file viewed); the lead applies.
  await openProposal(page, slow);
  await page.getByTestId('toggle-viewed').check();
  await expect(page.getByTestId('viewed-count')).toContainText('1/1');
  await page.getByTestId('tab-decision').click();
  await page.getByTestId('approve-button').click();
  const dialog = page.getByTestId('decision-dialog');
  await expect(dialog.getByTestId('decision-viewed')).toHaveAttribute('data-viewed', '1');
  await acknowledgeEvery(dialog, /Accepted risk/);
  await dialog.getByTestId('decision-reason').fill('A warm-up before measuring; tests unchanged.');
  await dialog.getByTestId('decision-submit').click();
  await dialog.getByTestId('signed-done').click();
  await switchTo(page, 'lead');
  await page.getByTestId('tab-decision').click();
  await expect(page.getByTestId('gate')).toHaveAttribute('data-allowed', 'true');
  await page.getByTestId('apply-button').click();
  const apply = page.getByTestId('apply-dialog');
  await apply.getByTestId('apply-confirm').click();
  const applied = apply.getByTestId('apply-result');
  await expect(applied).toBeVisible({ timeout: 120_000 });
  const checkpointId = (await applied.getAttribute('data-checkpoint-id')) ?? '';
  await apply.getByTestId('apply-done').click();

  // The applied page: the revision that landed, who applied it, the checkpoint, the approvals used.
  const landed = page.getByTestId('landed-banner');
  await expect(landed).toHaveAttribute('data-checkpoint-id', checkpointId);
  await expect(landed).toHaveAttribute('data-by', 'lee');
  await expect(page.locator('[data-testid="file-row"][data-path="bench.py"]')).toBeVisible();
  await expect(page.locator('[data-testid="approval"][data-operator="rita"]')).toHaveAttribute('data-status', 'used');
  await snap(page, testInfo, 'l01-applied-frozen');
  await expectAccessible(page, testInfo, 'landed-banner');

  // The post-apply check finds the benchmark slower and rolls back by itself: a notification, a banner.
  await expect(page.getByTestId('notification')).toBeVisible({ timeout: 480_000 });
  const banner = page.getByTestId('auto-rollback-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toHaveAttribute('data-checkpoint-id', checkpointId);
  await expect(banner).toContainText('benchmark');
  await page.getByTestId('tab-activity').click();
  await expect(page.locator('[data-testid="activity-item"][data-action="rollback.completed"][data-automatic="true"]')).toBeVisible();
  await expect(page.locator('[data-testid="activity-item"][data-action="apply.completed"]')).toBeVisible();
  await snap(page, testInfo, 'l02-automatic-rollback-banner');
  await expectAccessible(page, testInfo, 'auto-rollback-banner-and-activity');

  // The queue row says so too.
  await page.getByTestId('nav-queue').click();
  await expect(page.locator(`[data-testid="queue-row"][data-proposal-id="${slow}"]`).getByTestId('queue-auto-rollback')).toBeVisible();
  await snap(page, testInfo, 'l03-queue-row-rolled-back');
  await expectAccessible(page, testInfo, 'queue-row-rolled-back');

  // The checkpoints, in plain words: the apply's checkpoint is the current state (nothing to roll back);
  // the undo point Gatehouse took shows, line by line, what going back to it would bring back.
  await page.getByTestId('nav-checkpoints').click();
  const applyRow = page.locator(`[data-testid="checkpoint-row"][data-id="${checkpointId}"]`);
  await expect(applyRow.getByTestId('checkpoint-current')).toBeVisible();
  await applyRow.getByTestId('checkpoint-select').click();
  const preview = page.getByTestId('checkpoint-preview');
  await expect(preview).toHaveAttribute('data-current', 'true');
  await expect(page.getByTestId('preview-label')).toContainText(`Before applying ${slow}`);
  await expect(page.getByTestId('rollback-button')).toBeDisabled();
  const undoRow = page.getByTestId('checkpoint-row').first();
  await expect(undoRow).not.toHaveAttribute('data-id', checkpointId);
  await undoRow.getByTestId('checkpoint-select').click();
  await expect(page.getByTestId('preview-label')).toContainText('Undo point');
  await page.locator('[data-testid="preview-diff"][data-path="bench.py"] summary').click();
  await expect(page.locator('[data-testid="preview-diff"][data-path="bench.py"]')).toContainText('+sum(i * i for i in range(3_000_000))');
  await expect(page.getByTestId('rollback-button')).toBeEnabled();
  await snap(page, testInfo, 'l04-rollback-preview');
  await expectAccessible(page, testInfo, 'rollback-preview');

  // The rollback dialog asks for a reason; axe in both themes, then cancelled (nothing rolled back).
  await page.getByTestId('rollback-button').click();
  const rollback = page.getByTestId('rollback-dialog');
  await expect(rollback).toBeVisible();
  await expect(rollback.getByTestId('rollback-reason')).toBeFocused();
  await expectAccessible(page, testInfo, 'rollback-dialog');
  await rollback.getByTestId('rollback-cancel').click();
  await expect(rollback).toBeHidden();
});
