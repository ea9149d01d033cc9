/**
 * The shipped CLI (dist/cli/gatehouse.cjs) is several bundles: the entry, and one per command module
 * (build/build.mjs). An error a command throws crosses from its bundle into the entry's error report,
 * so the report must recognise Gatehouse's errors by their brand, not by `instanceof` against its own
 * copy of the class: before, every usage error from a command left the built CLI as exit 1 with code
 * INTERNAL (the tsx-run tests see one module graph and could not notice).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli', 'gatehouse.cjs');
let work: string;

function gatehouse(...args: string[]): { status: number | null; body: { ok?: boolean; code?: string; message?: string } } {
  const result = spawnSync(process.execPath, [cli, '--data-dir', join(work, 'data'), ...args, '--json'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, body: JSON.parse(result.stdout) as { ok?: boolean; code?: string; message?: string } };
}

beforeAll(() => {
  // Builds what is out of date (nothing, under `npm test`, which builds first).
  const built = spawnSync(process.execPath, [join(root, 'build', 'build.mjs')], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  expect(built.status, built.stderr).toBe(0);
  work = mkdtempSync(join(tmpdir(), 'gatehouse-built-cli-'));
}, 600_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the built CLI reports errors thrown inside command bundles', () => {
  it('a usage error a command raises (CliExit) exits 2, not 1 INTERNAL', () => {
    const both = gatehouse('audit', 'verify', '--db', join(work, 'a.sqlite'), '--jsonl', join(work, 'a.jsonl'));
    expect(both.status).toBe(2);
    expect(both.body.code).not.toBe('INTERNAL');
    expect(both.body.message).toMatch(/exactly one of --db/u);
  }, 120_000);

  it('a typed GatehouseError from a command keeps its code and its exit code', () => {
    const missing = gatehouse('audit', 'verify', '--jsonl', join(work, 'no-such-export.jsonl'));
    expect(missing.body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(missing.status).toBe(2);
    // The CI gate: a wrong --repo is the caller's mistake (2), not a failed check (1) or an internal error.
    const gate = gatehouse('verify', 'HEAD', '--repo', join(work, 'no-such-repository'));
    expect(gate.body.code).not.toBe('INTERNAL');
    expect(gate.status).toBe(2);
  }, 120_000);
});
