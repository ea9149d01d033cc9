/**
 * The agent loop (issue 15) with the console in Chromium doing the human side: a real MCP client (the
 * SDK's `Client` over a real stdio transport spawning `gatehouse mcp --agent coder`) on the same data
 * directory as the console, which runs in Chromium through the bridge against the real core.
 *
 * The agent proposes → the proposal appears in the open queue without a reload (a live event from main)
 * → the reviewer writes a line comment and requests changes in the console → the agent's
 * `wait_for_decision` returns the request with the comment → the agent revises → the open review moves
 * to the new revision by itself → the reviewer and the lead approve, the lead applies → the agent's
 * `wait_for_decision` returns `applied` with the landed commit. Screenshots kept.
 *
 * The change is one README paragraph: MINIMAL risk, no findings, and the demo's Python tests pass in the
 * sandbox's post-apply check at once (the fixture's close stops that check if it is still running).
 */
import { execFileSync } from 'node:child_process';
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { connectAgent, type AgentClient } from '../integration/agents/helpers';
import { expect, test } from './fixtures';
import { acknowledgeEvery, invoke, openDemo, openProposal, setTheme, snap, switchTo, valueOf } from './helpers';

const proposalId = 'readme-discount-usage';

/** A unified diff that appends lines to the README as it is on `main`. */
function readmeDiff(current: string, extra: ReadonlyArray<string>): string {
  const lines = current.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return [
    'diff --git a/README.md b/README.md',
    '--- a/README.md',
    '+++ b/README.md',
    `@@ -1,${lines.length} +1,${lines.length + extra.length} @@`,
    ...lines.map((line) => ` ${line}`),
    ...extra.map((line) => `+${line}`),
    '',
  ].join('\n');
}

/** Clicks a line number of the new side of the diff on screen. */
async function clickLineNumber(page: Page, line: number): Promise<void> {
  const number = page.locator('[data-testid="diff-editor"] .editor.modified .line-numbers').filter({ hasText: new RegExp(`^\\s*${line}\\s*$`) });
  await number.first().click();
}

/**
 * axe-core (WCAG 2.x A/AA) on the Agents section of Settings only, in the light and the dark theme, as
 * helpers' `expectAccessible` does for whole views; fails on any critical or serious violation.
 */
async function expectSectionAccessible(page: Page, testInfo: TestInfo, view: string): Promise<void> {
  const found: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    const results = await new AxeBuilder({ page })
      .setLegacyMode(true)
      .include('[data-testid="settings-agents"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    await testInfo.attach(`axe-${view}-${theme}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
    await snap(page, testInfo, `axe-${view}-${theme}`);
    for (const violation of results.violations) {
      if (violation.impact === 'critical' || violation.impact === 'serious') found.push(`${theme}:${violation.id} ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
    }
  }
  await setTheme(page, 'light');
  expect(found, `axe: critical/serious violations on ${view}`).toEqual([]);
}

/** Signs the approval in the open decision dialog once it shows every file viewed; closes it. */
async function approveInDialog(page: Page, reason: string): Promise<void> {
  const dialog = page.getByTestId('decision-dialog');
  await expect(dialog.getByTestId('decision-viewed')).toHaveAttribute('data-viewed', '1');
  await acknowledgeEvery(dialog, /Accepted risk/);
  await dialog.getByTestId('decision-reason').fill(reason);
  await expect(dialog.getByTestId('decision-submit')).toBeEnabled();
  await dialog.getByTestId('decision-submit').click();
  await expect(dialog.getByTestId('signed-decision')).toHaveAttribute('data-decision', 'approve');
  await dialog.getByTestId('signed-done').click();
}

/** What `wait_for_decision` answers (the fields this journey reads). */
interface WaitResult {
  readonly outcome: string;
  readonly proposal: {
    readonly state: string;
    readonly headOid: string | null;
    readonly appliedCommit: string | null;
    readonly comments: ReadonlyArray<{ readonly path: string; readonly line: number; readonly body: string; readonly authorName: string; readonly outdated: boolean }>;
    readonly decisions: ReadonlyArray<{ readonly decision: string; readonly operatorName: string }>;
  };
}

/** Starts `wait_for_decision` and resolves with its structured result (progress resets the client's timeout). */
function waitForDecision(agent: AgentClient, args: Record<string, unknown>): Promise<WaitResult> {
  return agent.client
    .callTool({ name: 'wait_for_decision', arguments: { timeoutSeconds: 600, ...args } }, undefined, {
      timeout: 600_000,
      resetTimeoutOnProgress: true,
      onprogress: () => undefined,
    })
    .then((result) => {
      if (result.isError) throw new Error(`wait_for_decision refused: ${JSON.stringify(result.content)}`);
      return result.structuredContent as unknown as WaitResult;
    });
}

test('agent loop: an MCP agent proposes, hears the request for changes with its comment, revises, and hears the apply', async ({ gatehouse }, testInfo) => {
  test.setTimeout(600_000);
  const { page, dataDir } = gatehouse;
  const { repositoryPath } = await openDemo(page, 'lead');
  const git = (...args: string[]) => execFileSync('git', ['-C', repositoryPath, ...args], { encoding: 'utf8' });
  const repositories = await valueOf<ReadonlyArray<{ id: string }>>(page, 'repo:list', {});
  const repositoryId = repositories[0]?.id ?? '';

  // The lead registers the agent in Settings → Agents; the credential is shown once, with the Claude Code line.
  await page.getByTestId('nav-settings').click();
  const agents = page.getByTestId('settings-agents');
  await expect(agents.getByTestId('agents-empty')).toBeVisible();
  await agents.getByTestId('agent-name-input').fill('coder');
  await expect(agents.locator(`[data-testid="agent-repository"][data-id="${repositoryId}"]`)).toBeChecked();
  await agents.getByTestId('agent-add').click();
  const credential = await agents.getByTestId('agent-credential-text').inputValue();
  expect(credential).toMatch(/^gha_/);
  await expect(agents.getByTestId('agent-claude-command-text')).toHaveValue(
    `claude mcp add gatehouse --env GATEHOUSE_AGENT_TOKEN=${credential} -- gatehouse --data-dir ${dataDir} mcp --agent coder`,
  );
  await agents.getByTestId('agent-credential-copy').click();
  await expect(agents.getByTestId('agent-credential').getByRole('status')).toHaveText(/Copied|Selected/);
  await snap(page, testInfo, 'a00-lead-registers-the-agent');
  await expectSectionAccessible(page, testInfo, 'settings-agents-credential');
  await agents.getByTestId('agent-registered-done').click();
  await expect(agents.getByTestId('agent-credential')).toHaveCount(0);
  await expect(agents.locator('[data-testid="agent-row"][data-name="coder"]')).toBeVisible();
  // A reviewer sees no Agents section, and main refuses the channel whatever the page does.
  await switchTo(page, 'reviewer');
  await expect(page.getByTestId('settings-agents')).toHaveCount(0);
  const refused = await invoke(page, 'agent:add', { name: 'sneaky', repositories: [repositoryId] });
  expect(refused.error?.code).toBe('FORBIDDEN_ROLE');

  const agent = await connectAgent(dataDir, 'coder', credential);
  try {
    // The reviewer has the queue open; the agent proposes; the row appears without a reload.
    await page.getByTestId('nav-queue').click();
    await expect(page.getByTestId('queue-table')).toHaveAttribute('data-count', /[1-9]/, { timeout: 120_000 });
    await expect(page.locator(`[data-testid="queue-row"][data-proposal-id="${proposalId}"]`)).toHaveCount(0);
    const readme = git('show', 'main:README.md');
    const proposed = await agent.ok<{ proposalId: string; revision: number; headOid: string; risk: string }>('propose_change', {
      repositoryId,
      name: proposalId,
      title: 'README: how to call the discount endpoint',
      description: 'Documents the endpoint for integrators.',
      change: { format: 'diff', diff: readmeDiff(readme, ['', 'Call `discount_endpoint` with a price and a percent.', 'It returns the discounted price.']) },
      claims: { riskLevel: 'MINIMAL', safetyScore: 0.95, testsRun: ['python3 -m unittest discover -s tests'] },
    });
    expect(proposed).toMatchObject({ proposalId, revision: 1 });
    const queueRow = page.locator(`[data-testid="queue-row"][data-proposal-id="${proposalId}"]`);
    await expect(queueRow).toBeVisible();
    await expect(queueRow.getByTestId('author-kind')).toHaveAttribute('data-kind', 'agent');
    await snap(page, testInfo, 'a01-agent-proposal-arrives-live');

    // The agent waits; the reviewer comments on the new line and requests changes in the console.
    const firstVerdict = waitForDecision(agent, { repositoryId, proposalId });
    await openProposal(page, proposalId);
    await expect(page.getByTestId('review-view')).toHaveAttribute('data-head', proposed.headOid);
    await page.locator('[data-testid="file-row"][data-path="README.md"]').getByTestId('file-open').click();
    await expect(page.locator('[data-testid="diff-editor"][data-path="README.md"][data-diff-ready="true"]')).toBeVisible();
    // The README's lines, then a blank line, the call, and the line about the result: comment on that last one.
    const commentLine = readme.trimEnd().split('\n').length + 3;
    await clickLineNumber(page, commentLine);
    await page.getByTestId('tab-comments').click();
    await expect(page.getByTestId('comment-target')).toHaveAttribute('data-line', String(commentLine));
    const commentBody = 'Say which currency the discounted price is in.';
    await page.getByTestId('comment-body').fill(commentBody);
    await page.getByTestId('comment-save').click();
    await expect(page.locator('[data-testid="comment"][data-state="draft"]')).toHaveAttribute('data-line', String(commentLine));
    await page.keyboard.press('c');
    const dialog = page.getByTestId('decision-dialog');
    await expect(dialog.getByTestId('decision-drafts')).toHaveAttribute('data-drafts', '1');
    await dialog.getByTestId('decision-reason').fill('The usage line needs the currency; see the line comment.');
    await dialog.getByTestId('decision-submit').click();
    await expect(dialog.getByTestId('signed-decision')).toHaveAttribute('data-decision', 'request_changes');
    await dialog.getByTestId('signed-done').click();
    await expect(page.getByTestId('changes-requested')).toContainText('rita');
    await snap(page, testInfo, 'a02-reviewer-requests-changes');

    const heard = await firstVerdict;
    expect(heard.outcome).toBe('changes-requested');
    expect(heard.proposal.state).toBe('changes-requested');
    expect(heard.proposal.comments).toEqual([expect.objectContaining({ path: 'README.md', line: commentLine, body: commentBody, authorName: 'rita' })]);
    expect(heard.proposal.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ decision: 'request_changes', operatorName: 'rita' })]));

    // The agent revises; the open review moves to the new revision by itself, the comment outdated.
    const revised = await agent.ok<{ revision: number; headOid: string }>('revise_proposal', {
      repositoryId,
      proposalId,
      headOid: proposed.headOid,
      description: 'Names the currency.',
      change: { format: 'diff', diff: readmeDiff(readme, ['', 'Call `discount_endpoint` with a price and a percent.', 'It returns the discounted price in EUR.']) },
    });
    expect(revised.revision).toBe(2);
    await expect(page.getByTestId('review-view')).toHaveAttribute('data-head', revised.headOid);
    await expect(page.getByTestId('changes-requested')).toHaveCount(0);
    await page.getByTestId('tab-comments').click();
    await expect(page.locator('[data-testid="comment"][data-state="published"]')).toHaveAttribute('data-earlier', 'true');
    await snap(page, testInfo, 'a03-revision-arrives-in-the-open-review');

    // The reviewer approves the new revision, the lead approves and applies, all in the console.
    const finalVerdict = waitForDecision(agent, { repositoryId, proposalId, until: 'applied' });
    await page.locator('[data-testid="file-row"][data-path="README.md"]').getByTestId('file-open').click();
    await page.getByTestId('toggle-viewed').check();
    await expect(page.getByTestId('viewed-count')).toContainText('1/1');
    await page.getByTestId('tab-decision').click();
    await page.getByTestId('approve-button').click();
    await approveInDialog(page, 'The currency is named; documentation only.');
    await snap(page, testInfo, 'a04-reviewer-approves-revision-2');

    // The lead's viewed marks are their own: the lead reads the file too, then approves and applies.
    await switchTo(page, 'lead');
    await expect(page.getByTestId('viewed-count')).toContainText('0/1');
    await page.getByTestId('toggle-viewed').check();
    await expect(page.getByTestId('viewed-count')).toContainText('1/1');
    await page.getByTestId('tab-decision').click();
    await page.getByTestId('approve-button').click();
    await approveInDialog(page, 'Lead: fine to land.');
    await expect(page.getByTestId('gate')).toHaveAttribute('data-allowed', 'true');
    await page.getByTestId('apply-button').click();
    const apply = page.getByTestId('apply-dialog');
    await apply.getByTestId('apply-confirm').click();
    await expect(apply.getByTestId('apply-result')).toBeVisible({ timeout: 120_000 });
    await apply.getByTestId('apply-done').click();
    await expect(page.getByTestId('landed-banner')).toHaveAttribute('data-by', 'lee');
    await snap(page, testInfo, 'a05-lead-applies');

    const landed = await finalVerdict;
    const main = git('rev-parse', 'main').trim();
    expect(landed.outcome).toBe('applied');
    expect(landed.proposal).toMatchObject({ state: 'applied', appliedCommit: main });
    expect(landed.proposal.decisions.filter((d) => d.decision === 'approve').map((d) => d.operatorName).sort()).toEqual(['lee', 'rita']);
    expect(git('show', 'main:README.md')).toContain('discounted price in EUR');

    // Settings shows the agent's last activity; the lead revokes it there, and its next call is refused.
    await page.getByTestId('nav-settings').click();
    const row = agents.locator('[data-testid="agent-row"][data-name="coder"]');
    await expect(row.getByTestId('agent-last-activity')).toHaveAttribute('data-action', /^agent\./);
    await expectSectionAccessible(page, testInfo, 'settings-agents-list');
    await row.getByTestId('agent-revoke').click();
    await page.getByTestId('agent-revoke-dialog').getByTestId('agent-revoke-confirm').click();
    await expect(row).toHaveAttribute('data-revoked', 'true');
    await snap(page, testInfo, 'a06-lead-revokes-the-agent');
    expect(await agent.refused('list_my_proposals', { repositoryId })).toMatch(/^LOCKED: agent coder is no longer registered/);
  } finally {
    await agent.close();
  }
});
