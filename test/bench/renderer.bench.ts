/**
 * Console benchmarks in Chromium through the bridge, against a real core:
 * `node --import tsx test/bench/renderer.bench.ts` (BENCH_QUICK=1 for 60 files / 4,000 lines / 100,000 events).
 *
 * Prints one JSON line per figure on stdout (progress on stderr):
 * - opening a 300-file, 20,000-line proposal from the queue (a freshly loaded console whose idle-time
 *   editor warm-up is done): time to the file tree with every file's finding count, to the first
 *   diff on screen (the plain diff the review draws with its first render, findings on their lines),
 *   and to the diff editor's diff (Monaco's diff computed, markers set) — the proposal's first open
 *   (its analysis may still be running) and the median of later opens; the peer is native `git diff`
 *   writing the same revision's patch;
 * - the proposal's link opened by a console that has just started (a new Chromium process, its first
 *   page load going straight to the link: app start, chunks, Monaco start-up, no prefetch), on the
 *   browser profile earlier starts left and on an empty one (the very first start);
 * - the decision dialog on a proposal with 500 findings: time from the Approve click to the dialog on screen
 *   with its findings by severity, files viewed and acknowledgement list (median of RUNS opens);
 * - the audit view at 1,000,000 events, opened from a settled console: time to the first page on screen
 *   and for a jump to the middle row; the peer is the bare `audit:search` round trip for one page.
 *
 * Times are taken in the page (performance.now() around the navigation, a MutationObserver on the
 * console's DOM signals), so Playwright's own polling is not counted. Needs the renderer built
 * (`npm run build`). BENCH_RENDERER_ONLY=review measures only the proposal figures (no audit seeding).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBridge, type Bridge } from '../../electron/bridge/launch';
import { createCore, type Core } from '../../electron/core/create-core';
import type { Logger } from '../../electron/core/logger';
import { auditPaths, loadOrCreateWorkstationKey, openAuditStore, type AuditEventInput } from '../../electron/services/audit';
import type { Clock } from '../../shared/model/clock';

const QUICK = process.env['BENCH_QUICK'] === '1';
const FILES = QUICK ? 60 : 300;
const LINES = QUICK ? 4000 : 20_000;
const EVENTS = QUICK ? 100_000 : 1_000_000;
const RUNS = QUICK ? 3 : 5;
/** The proposal branch; its proposal id is what the repository's pattern (`refs/heads/proposals/*`) matches. */
const BRANCH = 'proposals/bench-large';
const PASSPHRASE = 'bench passphrase 1';
const root = join(__dirname, '..', '..');
/**
 * tsx compiles this file with esbuild's keepNames, which wraps named functions in `__name(fn, "…")`;
 * functions handed to page.evaluate run in the page, where that helper must exist too.
 */
const KEEP_NAMES = 'globalThis.__name = (fn) => fn;';

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ bench: `renderer.${bench}`, value: Number(value.toPrecision(6)), unit, ...extra })}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[renderer bench] ${message}\n`);
}

function median(values: ReadonlyArray<number>): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function git(cwd: string, args: ReadonlyArray<string>): string {
  return execFileSync('git', [...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'bench-agent',
      GIT_AUTHOR_EMAIL: 'bench-agent@agents.gatehouse.invalid',
      GIT_COMMITTER_NAME: 'bench-agent',
      GIT_COMMITTER_EMAIL: 'bench-agent@agents.gatehouse.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: cwd,
    },
  });
}

/** The text of file i on one side: code in three languages, with a few lines static analysis flags. */
function fileText(index: number, lines: number, side: 'base' | 'head'): { readonly path: string; readonly text: string } {
  const kind = index % 3;
  const path = kind === 0 ? `service/module_${index}.py` : kind === 1 ? `web/src/component${index}.ts` : `tools/script${index}.js`;
  const body: string[] = [];
  for (let line = 0; line < lines; line += 1) {
    const risky = side === 'head' && line === Math.floor(lines / 2) && index % 10 === 0;
    if (kind === 0) body.push(risky ? `    result = eval(params["q${line}"])` : `    value_${line} = compute(${index}, ${line})  # ${side}`);
    else if (kind === 1) body.push(risky ? `  element.innerHTML = location.hash.slice(${line});` : `  const value${line}: number = compute(${index}, ${line}); // ${side}`);
    else body.push(risky ? `  require('child_process').exec(process.argv[${line}]);` : `  const value${line} = compute(${index}, ${line}); // ${side}`);
  }
  const text =
    kind === 0
      ? `def handler_${index}(params):\n${body.join('\n')}\n    return None\n`
      : `export function handler${index}(): void {\n${body.join('\n')}\n}\n`;
  return { path, text };
}

/** A repository whose proposal branch changes FILES files by LINES lines in total (two thirds modified, a third added). */
function buildRepository(dir: string): { readonly path: string; readonly baseOid: string; readonly headOid: string } {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  git(repo, ['init', '-q', '-b', 'main']);
  const write = (path: string, text: string): void => {
    const file = join(repo, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  const modified = Math.round((FILES * 2) / 3);
  for (let index = 0; index < modified; index += 1) {
    const { path, text } = fileText(index, 20, 'base');
    write(path, text);
  }
  write('README.md', '# bench service\n');
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'base']);
  const baseOid = git(repo, ['rev-parse', 'HEAD']).trim();
  git(repo, ['checkout', '-q', '-b', BRANCH]);
  for (let index = 0; index < FILES; index += 1) {
    // Spread LINES over FILES exactly: the first LINES % FILES files get one line more.
    const lines = Math.floor(LINES / FILES) + (index < LINES % FILES ? 1 : 0);
    const { path, text } = fileText(index, lines, 'head');
    write(path, text);
  }
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', `Large generated change: ${FILES} files, ${LINES} lines`, '-m', 'Gatehouse-Agent: bench-agent']);
  const headOid = git(repo, ['rev-parse', 'HEAD']).trim();
  git(repo, ['checkout', '-q', 'main']);
  return { path: repo, baseOid, headOid };
}

/** How many findings the decision-dialog figure wants: 50 files, 10 `eval` lines each. */
const FINDINGS_FILES = 50;
const FINDINGS_PER_FILE = 10;
const FINDINGS_BRANCH = 'proposals/bench-findings';

/** Adds a proposal branch whose 50 new Python files hold 10 `eval` of caller input each (500 findings). */
function buildFindingsBranch(repo: string): string {
  git(repo, ['checkout', '-q', '-b', FINDINGS_BRANCH, 'main']);
  for (let index = 0; index < FINDINGS_FILES; index += 1) {
    const lines = [`def handler_${index}(params):`];
    for (let line = 0; line < FINDINGS_PER_FILE; line += 1) lines.push(`    value_${line} = eval(params["q${line}"])`);
    lines.push('    return None', '');
    const file = join(repo, 'findings', `module_${index}.py`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lines.join('\n'));
  }
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', `Generated change with ${FINDINGS_FILES * FINDINGS_PER_FILE} eval calls`]);
  const head = git(repo, ['rev-parse', 'HEAD']).trim();
  git(repo, ['checkout', '-q', 'main']);
  return head;
}

/** The decision dialog on a proposal with 500 findings: Approve clicked → dialog with its facts on screen. */
async function benchDecisionDialog(page: Page, repositoryId: string, proposalId: string): Promise<void> {
  const hash = `#/review/${encodeURIComponent(repositoryId)}/${proposalId}`;
  const dialogReady = '[data-testid="decision-dialog"][open] [data-testid="decision-facts"] ~ [data-testid="acknowledgements"]';
  const times: number[] = [];
  let findings = 0;
  for (let run = 0; run < RUNS; run += 1) {
    await reload(page, true);
    await timeNavigation(page, hash, { ready: '[data-testid="review-view"][data-state="ready"]' });
    findings = Number(await page.getAttribute('[data-testid="findings-panel"]', 'data-count'));
    await page.click('[data-testid="tab-decision"]');
    await page.waitForSelector('[data-testid="approve-button"]');
    times.push(await timeClick(page, '[data-testid="approve-button"]', dialogReady));
    await page.click('[data-testid="decision-cancel"]');
  }
  emit('review.decision-dialog-open', median(times), 'ms', {
    findings,
    files: FINDINGS_FILES,
    runs: RUNS,
    statistic: 'median',
    meaning: 'Approve clicked → the decision dialog with open findings by severity, files viewed and acknowledgements',
  });
}

/** A clock moving 10 minutes per read, so a million seeded events span realistic dates. */
function seedClock(): Clock {
  let at = Date.UTC(2025, 0, 1);
  return {
    now: () => {
      const date = new Date(at);
      at += 600_000;
      return date;
    },
  };
}

/** Writes EVENTS chained, signed audit events into the data directory before the core opens it. */
async function seedAudit(dataDir: string): Promise<void> {
  const paths = auditPaths(dataDir);
  mkdirSync(paths.keysDir, { recursive: true });
  const store = await openAuditStore({
    file: paths.file,
    clock: seedClock(),
    workstationKey: loadOrCreateWorkstationKey(paths.keysDir),
    headsDir: paths.headsDir,
  });
  const actions = ['proposal.discovered', 'analysis.completed', 'sandbox.run', 'approval.minted', 'apply.completed', 'checkpoint.created'];
  const roles = ['system', 'system', 'reviewer', 'reviewer', 'lead', 'system'] as const;
  try {
    for (let start = 0; start < EVENTS; start += 1000) {
      const batch: AuditEventInput[] = [];
      for (let index = start; index < Math.min(EVENTS, start + 1000); index += 1) {
        const kind = index % actions.length;
        batch.push({
          actor: roles[kind] === 'system' ? 'system' : `operator-${index % 7}`,
          role: roles[kind] ?? 'system',
          action: actions[kind] ?? 'proposal.discovered',
          subject: `repo-${index % 20}/proposals/p-${index % 5000}`,
          payload: { index, note: `seeded event ${index}` },
        });
      }
      store.appendMany(batch);
      if ((start + batch.length) % 100_000 === 0) progress(`seeded ${start + batch.length} of ${EVENTS} audit events`);
    }
  } finally {
    store.close();
  }
}

/** The few DOM globals the in-page timers use (this file compiles against Node's lib, without the DOM's). */
interface PageGlobals {
  readonly document: { querySelector(selector: string): { click(): void } | null; readonly body: unknown };
  readonly location: { hash: string };
  readonly MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: { readonly subtree: boolean; readonly childList: boolean; readonly attributes: boolean }): void;
    disconnect(): void;
  };
}

type CallResult = { readonly ok: boolean; readonly value?: unknown; readonly error?: { readonly code: string; readonly message: string } };

async function invoke<T>(page: Page, channel: string, input: unknown): Promise<T> {
  const result = await page.evaluate(
    ([name, payload]) =>
      (globalThis as unknown as { gatehouse: { invoke(c: string, i: unknown): Promise<CallResult> } }).gatehouse.invoke(name as string, payload),
    [channel, input] as const,
  );
  if (!result.ok) throw new Error(`${channel} refused: ${result.error?.code}: ${result.error?.message}`);
  return result.value as T;
}

/**
 * Navigates by hash and times, in the page, until each selector matches (checked on every DOM change).
 * Returns milliseconds per selector.
 */
async function timeNavigation(page: Page, hash: string, selectors: Readonly<Record<string, string>>): Promise<Record<string, number>> {
  return page.evaluate(
    ([target, wanted]) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const { document, location, MutationObserver } = globalThis as unknown as PageGlobals;
        const start = performance.now();
        const found: Record<string, number> = {};
        const check = (): boolean => {
          for (const [name, selector] of Object.entries(wanted)) {
            if (found[name] === undefined && document.querySelector(selector) !== null) found[name] = performance.now() - start;
          }
          return Object.keys(found).length === Object.keys(wanted).length;
        };
        // The observer only calls back after this synchronous block, once `timer` exists.
        const observer = new MutationObserver(() => {
          if (!check()) return;
          observer.disconnect();
          clearTimeout(timer);
          resolve(found);
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`timed out waiting for ${JSON.stringify(wanted)}; found ${JSON.stringify(found)}`));
        }, 300_000);
        location.hash = target as string;
      }),
    [hash, selectors] as const,
  );
}

/** Clicks and times, in the page, until a selector matches. */
async function timeClick(page: Page, clickSelector: string, selector: string): Promise<number> {
  return page.evaluate(
    ([clicked, wanted]) =>
      new Promise<number>((resolve, reject) => {
        const { document, MutationObserver } = globalThis as unknown as PageGlobals;
        const start = performance.now();
        // The observer only calls back after this synchronous block, once `timer` exists.
        const observer = new MutationObserver(() => {
          if (document.querySelector(wanted as string) !== null) {
            observer.disconnect();
            clearTimeout(timer);
            resolve(performance.now() - start);
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`timed out waiting for ${wanted as string}`));
        }, 120_000);
        const button = document.querySelector(clicked as string);
        if (button === null) reject(new Error(`no ${clicked as string}`));
        else button.click();
      }),
    [clickSelector, selector] as const,
  );
}

/**
 * The first diff on screen: the plain diff drawn with the review's first render, or the diff editor's
 * own diff with its markers if that came first (a file the plain view cannot diff within its budget).
 */
const FIRST_DIFF_SHOWN = '[data-testid="diff-preview"][data-state="diff"], [data-testid="diff-editor"][data-diff-ready="true"]';

/**
 * Runs in every page load: records (from the navigation's start) when the review's first render, the
 * file tree, the first diff on screen, Monaco's diff editor (its DOM: Monaco loaded, evaluated and the
 * editor created) and the editor's diff appear, for the cold-load figures and their breakdown.
 */
function markScript(files: number): string {
  return `(() => {
    const FIRST_DIFF_SHOWN = ${JSON.stringify(FIRST_DIFF_SHOWN)};
    const marks = {};
    globalThis.__benchMarks = marks;
    const wanted = {
      review: '[data-testid="review-view"][data-state="ready"]',
      tree: '[data-testid="file-tree"][data-files="${files}"]',
      editor: '[data-testid="diff-editor"] .monaco-diff-editor',
      diff: '[data-testid="diff-editor"][data-diff-ready="true"]',
      shown: FIRST_DIFF_SHOWN,
    };
    new MutationObserver(() => {
      for (const [name, selector] of Object.entries(wanted)) {
        if (marks[name] === undefined && document.querySelector(selector) !== null) marks[name] = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  })();`;
}

/**
 * Reloads the console on the queue (dropping every cached answer; the session stays in main) and waits
 * until it is ready — with `warm`, also until the queue's idle-time warm-up of the diff editor is done,
 * as it is when a reviewer looks at the queue before picking a proposal.
 */
async function reload(page: Page, warm = false): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as PageGlobals).location.hash = '#/queue';
  });
  await page.reload();
  await page.waitForSelector('body[data-ready="true"][data-role="lead"][data-view="queue"]', { timeout: 120_000 });
  if (warm) await page.waitForSelector('body[data-editor-warm]', { state: 'attached', timeout: 120_000 });
}

async function benchReview(
  page: Page,
  repositoryId: string,
  proposalId: string,
  repository: { path: string; baseOid: string; headOid: string },
): Promise<void> {
  const hash = `#/review/${encodeURIComponent(repositoryId)}/${proposalId}`;
  const selectors = {
    tree: `[data-testid="file-tree"][data-files="${FILES}"]`,
    shown: FIRST_DIFF_SHOWN,
    diff: '[data-testid="diff-editor"][data-diff-ready="true"]',
  };
  progress(`opening the ${FILES}-file, ${LINES}-line proposal from the queue`);
  await reload(page, true);
  const first = await timeNavigation(page, hash, selectors);
  const findings = await page.getAttribute('[data-testid="file-tree"]', 'data-findings');
  const warmTree: number[] = [];
  const warmShown: number[] = [];
  const warmDiff: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    await reload(page, true);
    const times = await timeNavigation(page, hash, selectors);
    warmTree.push(times['tree'] ?? Number.NaN);
    warmShown.push(times['shown'] ?? Number.NaN);
    warmDiff.push(times['diff'] ?? Number.NaN);
  }
  const size = { files: FILES, lines: LINES, findings: Number(findings) };
  const from = 'from the queue of a freshly loaded console, after its idle-time editor warm-up';
  emit('review.file-tree.first-open', first['tree'] ?? Number.NaN, 'ms', { ...size, meaning: `first open of the proposal ${from} → file tree with every finding count` });
  emit('review.first-diff.first-open', first['shown'] ?? Number.NaN, 'ms', { ...size, goal: '< 1000', meaning: `first open of the proposal ${from} → first diff on screen with its findings` });
  emit('review.diff-editor.first-open', first['diff'] ?? Number.NaN, 'ms', { ...size, meaning: `first open of the proposal ${from} → the diff editor's diff computed with its markers` });
  emit('review.file-tree', median(warmTree), 'ms', { ...size, runs: RUNS, statistic: 'median', meaning: `later opens ${from}` });
  emit('review.first-diff', median(warmShown), 'ms', { ...size, runs: RUNS, statistic: 'median', goal: '< 1000', meaning: `later opens ${from} → first diff on screen` });
  emit('review.diff-editor', median(warmDiff), 'ms', { ...size, runs: RUNS, statistic: 'median', meaning: `later opens ${from} → the diff editor's diff with its markers` });

  const peer: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const start = process.hrtime.bigint();
    git(repository.path, ['diff', '--no-color', '--no-ext-diff', '--no-textconv', repository.baseOid, repository.headOid]);
    peer.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  emit('review.peer-git-diff', median(peer), 'ms', { ...size, runs: RUNS, statistic: 'median', meaning: 'native git diff of the whole revision (patch text only)' });
  emit('review.first-diff.vs-git-diff', median(warmShown) / median(peer), 'ratio', { meaning: 'console first diff on screen ÷ native git diff' });
  emit('review.diff-editor.vs-git-diff', median(warmDiff) / median(peer), 'ratio', { meaning: "console diff editor's diff ÷ native git diff" });
}

/** The marks of one start of the console on a proposal's link, and the script it fetched. */
interface ColdStart {
  readonly marks: Readonly<Record<string, number>>;
  /** The last script the page had in hand before the first diff (its response's end). */
  readonly scriptsIn: number;
  readonly scripts: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

/**
 * Starts a console (a new Chromium process, as `npm start` or the desktop app does) straight on the
 * proposal's link, on the browser profile in `profileDir`, and returns its marks once the diff editor's
 * diff is on screen (the last mark). Times are from the navigation's start, recorded in the page by the init script.
 */
async function coldStart(core: Core, profileDir: string, hash: string): Promise<ColdStart> {
  const bridge = await launchBridge({
    core,
    rendererDir: join(root, 'dist', 'renderer'),
    headless: true,
    viewport: { width: 1440, height: 900 },
    profileDir,
    initialHash: hash,
    initScripts: [KEEP_NAMES, markScript(FILES)],
  });
  try {
    const page = bridge.page;
    await page.waitForFunction(() => (globalThis as unknown as { __benchMarks?: Record<string, number> }).__benchMarks?.['diff'] !== undefined, null, { timeout: 300_000 });
    const marks = await page.evaluate(() => ({ ...(globalThis as unknown as { __benchMarks: Record<string, number> }).__benchMarks }));
    const { scriptsIn, scripts } = await page.evaluate((diffAt) => {
      const entries = performance.getEntriesByType('resource').filter((entry) => entry.name.endsWith('.js')) as unknown as ReadonlyArray<{
        readonly name: string;
        readonly responseEnd: number;
        readonly decodedBodySize: number;
      }>;
      const ends = entries.filter((entry) => entry.responseEnd <= diffAt).map((entry) => entry.responseEnd);
      return {
        scriptsIn: ends.length === 0 ? Number.NaN : Math.max(...ends),
        scripts: entries.map((entry) => ({ name: entry.name.slice(entry.name.lastIndexOf('/') + 1), bytes: entry.decodedBodySize })),
      };
    }, marks['diff'] ?? 0);
    return { marks, scriptsIn, scripts };
  } finally {
    await bridge.close();
  }
}

/** Prints a cold-start figure and its breakdown (medians of each mark). */
function emitColdStarts(name: string, starts: ReadonlyArray<ColdStart>, extra: Record<string, unknown>, meaning: string): void {
  const mark = (key: string): number => median(starts.map((start) => start.marks[key] ?? Number.NaN));
  const size = { files: FILES, lines: LINES };
  emit(`review.first-diff.${name}.breakdown`, mark('shown'), 'ms', {
    runs: starts.length,
    statistic: "median of each mark, from the navigation's start",
    scripts_in: Math.round(median(starts.map((start) => start.scriptsIn))),
    first_render: Math.round(mark('review')),
    file_tree: Math.round(mark('tree')),
    first_diff: Math.round(mark('shown')),
    monaco_ready: Math.round(mark('editor')),
    editor_diff: Math.round(mark('diff')),
    meaning:
      "scripts_in: the last script fetched before the diff editor's diff; first_render: the review view rendered with its proposal; first_diff: the first diff on screen (the plain diff); monaco_ready: the diff editor created (Monaco loaded and started); editor_diff: the diff editor's diff computed with its markers",
  });
  emit(`review.file-tree.${name}`, mark('tree'), 'ms', { ...size, runs: starts.length, statistic: 'median', meaning: `${meaning} → file tree` });
  const loadAvg = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  emit(`review.first-diff.${name}`, mark('shown'), 'ms', {
    ...size,
    ...extra,
    runs: starts.length,
    statistic: 'median',
    goal: '< 1000',
    load_avg: loadAvg,
    meaning: `${meaning} → first diff on screen with its findings`,
  });
  emit(`review.diff-editor.${name}`, mark('diff'), 'ms', {
    ...size,
    ...extra,
    runs: starts.length,
    statistic: 'median',
    load_avg: loadAvg,
    meaning: `${meaning} → the diff editor's diff with its markers (syntax colours, hovers, find)`,
  });
}

/**
 * The proposal's link opened in a console that has just started: a new Chromium process, its first
 * page load going straight to the link (app start, every chunk, Monaco's start-up, no prefetch).
 * - `cold-start`: on the browser profile earlier starts left, as every start after the first is. The
 *   profile holds Chromium's HTTP cache and V8 code cache of the renderer's files; Chromium keeps a
 *   script's compiled code only once it has run it twice, so the profile is primed by two starts.
 * - `cold-start.empty-profile`: the very first start, nothing cached.
 * The two alternate, so both see the same machine.
 */
async function benchColdStarts(core: Core, dir: string, repositoryId: string, proposalId: string): Promise<void> {
  const hash = `#/review/${encodeURIComponent(repositoryId)}/${proposalId}`;
  const kept = join(dir, 'profile-kept');
  progress('priming a browser profile with two starts on the link');
  for (let start = 0; start < 2; start += 1) await coldStart(core, kept, hash);
  const warm: ColdStart[] = [];
  const empty: ColdStart[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    warm.push(await coldStart(core, kept, hash));
    const fresh = mkdtempSync(join(dir, 'profile-empty-'));
    try {
      empty.push(await coldStart(core, fresh, hash));
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }
  const scripts = empty.at(-1)?.scripts ?? [];
  const largest = scripts.reduce((top, script) => (script.bytes > top.bytes ? script : top), { name: '', bytes: 0 });
  emit('review.cold-start.script-bytes', scripts.reduce((sum, script) => sum + script.bytes, 0), 'bytes', {
    chunks: scripts.length,
    largest_chunk: largest.name,
    largest_chunk_bytes: largest.bytes,
    meaning: "script the first start on the link fetched (page and its workers' chunks as the page sees them)",
  });
  emitColdStarts('cold-start', warm, { profile: 'kept from earlier starts' }, 'the proposal link opened by a console just started, on the browser profile earlier starts left');
  emitColdStarts('cold-start.empty-profile', empty, { profile: 'empty' }, "the proposal link opened by a console's very first start (empty browser profile)");
}

async function benchAudit(page: Page): Promise<void> {
  const firstPage = '[data-testid="audit-table"][data-first-page-ready="true"] [data-testid="audit-row"][data-index="0"]:not([data-seq=""])';
  const middleIndex = Math.floor(EVENTS / 2);
  const middle = `[data-testid="audit-row"][data-index="${middleIndex}"]:not([data-seq=""])`;
  const firstTimes: number[] = [];
  const jumpTimes: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    await reload(page);
    // As an auditor does: the console has settled (its idle-time view preloading done) before the audit opens.
    await page.evaluate(() => new Promise<void>((resolve) => (globalThis as unknown as { requestIdleCallback(callback: () => void): void }).requestIdleCallback(() => resolve())));
    const times = await timeNavigation(page, '#/audit', { first: firstPage });
    firstTimes.push(times['first'] ?? Number.NaN);
    jumpTimes.push(await timeClick(page, '[data-testid="audit-jump-middle"]', middle));
  }
  const total = Number(await page.getAttribute('[data-testid="audit-table"]', 'data-total'));
  emit('audit.first-page', median(firstTimes), 'ms', { events: total, runs: RUNS, statistic: 'median', goal: '< 300' });
  emit('audit.jump-middle', median(jumpTimes), 'ms', { events: total, row: middleIndex, runs: RUNS, statistic: 'median', goal: '< 300' });

  const peer: number[] = [];
  for (let run = 0; run < RUNS * 4; run += 1) {
    peer.push(
      await page.evaluate(async (beforeSeq) => {
        const api = (globalThis as unknown as { gatehouse: { invoke(c: string, i: unknown): Promise<unknown> } }).gatehouse;
        const start = performance.now();
        await api.invoke('audit:search', { beforeSeq, limit: 100 });
        return performance.now() - start;
      }, middleIndex),
    );
  }
  emit('audit.peer-search-page', median(peer), 'ms', { events: total, runs: RUNS * 4, statistic: 'median', meaning: 'one audit:search page over IPC, no rendering' });
  emit('audit.jump-middle.vs-search-page', median(jumpTimes) / median(peer), 'ratio', { meaning: 'jump to the middle on screen ÷ bare page fetch' });
}

const quiet: Logger = {
  info: () => undefined,
  warn: (message) => progress(`core warning: ${message}`),
  error: (message, detail) => progress(`core error: ${message} ${detail instanceof Error ? detail.message : ''}`),
};

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) throw new Error('the renderer is not built: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-renderer-'));
  let core: Core | null = null;
  let bridge: Bridge | null = null;
  try {
    const dataDir = join(dir, 'data');
    const onlyReview = process.env['BENCH_RENDERER_ONLY'] === 'review';
    if (!onlyReview) {
      progress(`seeding ${EVENTS} audit events`);
      await seedAudit(dataDir);
    }
    progress(`building a repository with a ${FILES}-file, ${LINES}-line proposal`);
    const repository = buildRepository(dir);
    const findingsHead = buildFindingsBranch(repository.path);
    core = await createCore({ dataDir, shell: { shell: 'chromium-bridge', electron: null, chromium: null }, logger: quiet });
    bridge = await launchBridge({ core, rendererDir: join(root, 'dist', 'renderer'), headless: true, viewport: { width: 1440, height: 900 } });
    const page = bridge.page;
    await page.addInitScript(KEEP_NAMES);
    await page.evaluate(KEEP_NAMES);
    await page.addInitScript(markScript(FILES));
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    await invoke(page, 'operator:create', { name: 'bench-lead', role: 'lead', passphrase: PASSPHRASE });
    await invoke(page, 'session:unlock', { name: 'bench-lead', passphrase: PASSPHRASE });
    const added = await invoke<{ id: string }>(page, 'repo:add', { path: repository.path, targetBranch: 'main' });
    await reload(page);
    const listed = await invoke<ReadonlyArray<{ proposalId: string; headOid: string }>>(page, 'proposal:list', { repositoryId: added.id });
    const proposal = listed.find((row) => row.headOid === repository.headOid);
    if (proposal === undefined) throw new Error(`the ${BRANCH} branch was not discovered as a proposal`);

    await benchReview(page, added.id, proposal.proposalId, repository);
    await benchColdStarts(core, dir, added.id, proposal.proposalId);
    if (onlyReview) return;
    const withFindings = listed.find((row) => row.headOid === findingsHead);
    if (withFindings === undefined) throw new Error(`the ${FINDINGS_BRANCH} branch was not discovered as a proposal`);
    await benchDecisionDialog(page, added.id, withFindings.proposalId);
    await benchAudit(page);
  } finally {
    await bridge?.close().catch(() => undefined);
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
