/**
 * Steps the console journeys share: screenshots kept under test-results, calls from the page as the
 * renderer makes them, switching the demo operator, picking acknowledgements, the theme, and axe-core
 * on the view on screen in both themes.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect } from './fixtures';

/** Saves a screenshot of the page under the test's output folder (test-results/e2e/…) and attaches it. */
export async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** A channel's answer as the page sees it. */
export interface Answer {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Calls a channel from the page, as the renderer would (and as an attacker in the renderer could). */
export async function invoke(page: Page, channel: string, input: unknown): Promise<Answer> {
  return page.evaluate(
    ([name, payload]) =>
      (window as unknown as { gatehouse: { invoke(c: string, i: unknown): Promise<Answer> } }).gatehouse.invoke(name as string, payload),
    [channel, input] as const,
  );
}

/** The value of a call that must succeed. */
export async function valueOf<T>(page: Page, channel: string, input: unknown): Promise<T> {
  const answer = await invoke(page, channel, input);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error?.code} ${answer.error?.message}`);
  return answer.value as T;
}

/** Unlocks a demo operator through the switch dialog (the demo's one-click unlock). */
export async function switchTo(page: Page, role: 'reviewer' | 'lead' | 'auditor'): Promise<void> {
  await page.getByTestId('switch-operator').click();
  const dialog = page.getByTestId('switch-dialog');
  await dialog.getByTestId(`demo-unlock-${role}`).click();
  await page.waitForSelector(`body[data-role="${role}"]`);
  await expect(dialog).toBeHidden();
}

/** Builds the demo workspace from the first-run screen and unlocks one of its operators. */
export async function openDemo(page: Page, role: 'reviewer' | 'lead' | 'auditor'): Promise<{ readonly repositoryPath: string }> {
  await page.waitForSelector('body[data-ready="true"]');
  await page.getByTestId('open-demo').click();
  await expect(page.getByTestId('demo-operators')).toBeVisible({ timeout: 120_000 });
  const repositoryPath = (await page.getByTestId('demo-path').textContent()) ?? '';
  await page.getByTestId(`demo-unlock-${role}`).click();
  await page.waitForSelector(`body[data-role="${role}"]`);
  return { repositoryPath };
}

/** Opens a proposal from the queue and waits for its review view. */
export async function openProposal(page: Page, proposalId: string): Promise<void> {
  await page.locator(`[data-testid="queue-row"][data-proposal-id="${proposalId}"]`).getByTestId('queue-open').click();
  await expect(page.getByTestId('review-view')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
}

/** Picks the given kind (by its visible label) for every item the decision dialog asks to acknowledge. */
export async function acknowledgeEvery(dialog: Locator, label: RegExp): Promise<number> {
  const selects = dialog.getByTestId('ack-kind');
  const count = await selects.count();
  for (let index = 0; index < count; index += 1) {
    const select = selects.nth(index);
    const options = await select.locator('option').allTextContents();
    const choice = options.find((option) => label.test(option)) ?? options[1];
    if (choice === undefined) throw new Error('an acknowledgement offers no choice');
    await select.selectOption({ label: choice });
  }
  return count;
}

/** Switches the console's theme with its own switch when on screen, else as the switch does. */
export async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const control = page.getByTestId('theme-switch');
  if ((await control.count()) > 0 && (await control.isVisible())) await control.selectOption(theme);
  else
    await page.evaluate((choice) => {
      window.localStorage.setItem('gatehouse.theme', choice);
      window.dispatchEvent(new Event('gatehouse-theme-changed'));
    }, theme);
  await page.waitForSelector(`html[data-theme="${theme}"]`);
}

/** One axe-core violation as kept in the report. */
interface Violation {
  readonly id: string;
  readonly impact: string | null | undefined;
  readonly help: string;
  readonly targets: ReadonlyArray<string>;
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on what is on screen, in the light and the dark theme, keeps a
 * screenshot and the full report of each, and fails on any critical or serious violation.
 */
export async function expectAccessible(page: Page, testInfo: TestInfo, view: string): Promise<void> {
  const found: Violation[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    // Two animation frames: styles of the new theme are applied and painted before axe reads colours.
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    // Legacy mode runs axe in the page itself: the bridge closes any second page (popups are refused),
    // which axe's default mode opens to assemble its results.
    const results = await new AxeBuilder({ page }).setLegacyMode(true).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    await testInfo.attach(`axe-${view}-${theme}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
    await snap(page, testInfo, `axe-${view}-${theme}`);
    for (const violation of results.violations) {
      if (violation.impact === 'critical' || violation.impact === 'serious') {
        found.push({
          id: `${theme}:${violation.id}`,
          impact: violation.impact,
          help: violation.help,
          targets: violation.nodes.slice(0, 5).map((node) => `${node.target.join(' ')}${node.failureSummary ? ` — ${node.failureSummary.split('\n').slice(1, 2).join('')}` : ''}`),
        });
      }
    }
  }
  await setTheme(page, 'light');
  expect(found, `axe: critical/serious violations on ${view}`).toEqual([]);
}
