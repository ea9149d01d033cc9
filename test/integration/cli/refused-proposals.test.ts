/**
 * A proposal whose tree Gatehouse refuses to read (a `.GIT` directory holding a hook) is listed as refused,
 * with the reason, by `gatehouse proposal list` and by the `proposal:list` channel the console's queue
 * reads: never left out with only a line on stderr (issue 12 §4). Real data directory, real git.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
let dataDir: string;
let repositoryPath: string;

function gatehouse(args: ReadonlyArray<string>, passphrase?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/main.ts'), '--data-dir', dataDir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GATEHOUSE_PASSPHRASE: passphrase ?? '' },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function git(input: Buffer | null, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=agent', '-c', 'user.email=agent@example.invalid', ...args], {
    cwd: repositoryPath,
    encoding: 'utf8',
    ...(input === null ? {} : { input }),
  }).trim();
}

/** A tree entry as git stores it: `mode name\0` and the raw oid. */
function entry(mode: string, name: string, oid: string): Buffer {
  return Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')]);
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-refused-'));
  const demo = gatehouse(['demo', '--json']);
  if (demo.code !== 0) throw new Error(`demo: ${demo.stderr}`);
  repositoryPath = (JSON.parse(demo.stdout) as { path: string }).path;
  // `.GIT/hooks/post-checkout`: git itself would run it on a case-insensitive disk (CVE-2014-9390).
  const hook = git(Buffer.from('#!/bin/sh\necho pwned\n'), 'hash-object', '-w', '--stdin');
  const hooks = git(entry('100755', 'post-checkout', hook), 'hash-object', '-w', '-t', 'tree', '--literally', '--stdin');
  const dotGit = git(entry('40000', 'hooks', hooks), 'hash-object', '-w', '-t', 'tree', '--literally', '--stdin');
  const base = git(null, 'rev-parse', 'main');
  const baseEntries = git(null, 'ls-tree', 'main^{tree}')
    .split('\n')
    .map((line) => {
      const [meta, name] = line.split('\t') as [string, string];
      const [mode, , oid] = meta.split(' ') as [string, string, string];
      return { mode: mode === '040000' ? '40000' : mode, name, oid };
    });
  const all = [...baseEntries, { mode: '40000', name: '.GIT', oid: dotGit }].sort((a, b) =>
    Buffer.compare(Buffer.from(a.mode === '40000' ? `${a.name}/` : a.name), Buffer.from(b.mode === '40000' ? `${b.name}/` : b.name)),
  );
  const tree = git(Buffer.concat(all.map((e) => entry(e.mode, e.name, e.oid))), 'hash-object', '-w', '-t', 'tree', '--literally', '--stdin');
  const commit = git(null, 'commit-tree', tree, '-p', base, '-m', 'Add a helpful hook');
  git(null, 'update-ref', 'refs/heads/proposals/hostile-hook', commit);
}, 240_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a refused proposal in the queue', () => {
  it('is listed as refused with the reason in --json, next to the proposals that can be reviewed', () => {
    const listed = gatehouse(['proposal', 'list', '--as', 'ava', '--json'], 'ava-demo-passphrase');
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ proposalId: string; title: string; risk: string | null; refused?: { code: string; reason: string } | null }>;
    const hostile = rows.find((r) => r.proposalId === 'hostile-hook');
    expect(hostile).toMatchObject({ title: 'Add a helpful hook', risk: null, refused: { code: 'REFUSED' } });
    expect(hostile?.refused?.reason).toMatch(/\.GIT.*\.git in some case or disguise/);
    expect(rows.find((r) => r.proposalId === 'refactor-rounding')).toMatchObject({ refused: null });
  }, 240_000);

  it('is shown as REFUSED with the reason in the text listing', () => {
    const listed = gatehouse(['proposal', 'list', '--as', 'ava'], 'ava-demo-passphrase');
    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.includes('/hostile-hook'));
    expect(line).toMatch(/REFUSED.*Add a helpful hook.*\.GIT/);
  }, 240_000);
});
