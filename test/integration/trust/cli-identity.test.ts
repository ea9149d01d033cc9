/**
 * One person, two identities: a lead creating a second operator from the CLI must give it a passphrase
 * of its own. Before, the new operator silently received the lead's GATEHOUSE_PASSPHRASE.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
let dataDir: string;

function gatehouse(args: ReadonlyArray<string>, env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/main.ts'), '--data-dir', dataDir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GATEHOUSE_PASSPHRASE: '', GATEHOUSE_NEW_PASSPHRASE: '', ...env },
    input: '',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-identity-'));
  expect(gatehouse(['demo', '--json'], {}).code).toBe(0);
}, 240_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('gatehouse operator create by a lead', () => {
  it("never gives the new operator the lead's passphrase", () => {
    const lead = { GATEHOUSE_PASSPHRASE: 'lee-demo-passphrase' };
    const silent = gatehouse(['operator', 'create', '--name', 'lee2', '--role', 'lead', '--as', 'lee', '--json'], lead);
    expect(silent.code).toBe(2);
    expect(silent.stdout + silent.stderr).toMatch(/GATEHOUSE_NEW_PASSPHRASE/);
    const same = gatehouse(['operator', 'create', '--name', 'lee2', '--role', 'lead', '--as', 'lee', '--json'], { ...lead, GATEHOUSE_NEW_PASSPHRASE: 'lee-demo-passphrase' });
    expect(same.code).toBe(2);
    expect(same.stdout + same.stderr).toMatch(/of their own/);
    const own = gatehouse(['operator', 'create', '--name', 'lee2', '--role', 'lead', '--as', 'lee', '--json'], { ...lead, GATEHOUSE_NEW_PASSPHRASE: 'a-different-passphrase-2' });
    expect(own.code).toBe(0);
  }, 240_000);
});
