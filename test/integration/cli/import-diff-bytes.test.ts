/**
 * `gatehouse proposal import --diff` reads the patch as bytes, end to end (issue 12 §4): a valid patch to a
 * Latin-1 file is accepted, exactly as `git apply` accepts it, and the imported file's bytes are the bytes
 * `git apply` writes. Real data directory, real git.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
let dataDir: string;
let scratch: string;
let repositoryId: string;
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

function git(cwd: string, ...args: string[]): Buffer {
  return execFileSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.invalid', '-c', 'core.autocrlf=false', ...args], { cwd });
}

// "Caf\xe9 cr\xe8me\n" and friends: Latin-1, not valid UTF-8.
const ORIGINAL = Buffer.from('# Men\xfc\nCaf\xe9 cr\xe8me 3,50\nTh\xe9 2,00\n', 'latin1');
const CHANGED = Buffer.from('# Men\xfc\nCaf\xe9 cr\xe8me 3,80\nTh\xe9 2,00\nCr\xeape 4,00\n', 'latin1');

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-latin1-'));
  scratch = mkdtempSync(join(tmpdir(), 'gh-cli-latin1-work-'));
  const demo = gatehouse(['demo', '--json']);
  if (demo.code !== 0) throw new Error(`demo: ${demo.stderr}`);
  ({ repositoryId, path: repositoryPath } = JSON.parse(demo.stdout) as { repositoryId: string; path: string });
  // The target branch holds a Latin-1 file.
  writeFileSync(join(repositoryPath, 'menu.txt'), ORIGINAL);
  git(repositoryPath, 'add', 'menu.txt');
  git(repositoryPath, 'commit', '-q', '-m', 'Add the menu (Latin-1)');
}, 240_000);

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('import --diff of a patch to a Latin-1 file', () => {
  it('is accepted as git apply accepts it, and writes the same bytes', () => {
    const author = join(scratch, 'author');
    git(scratch, 'clone', '-q', '--branch', 'main', repositoryPath, author);
    writeFileSync(join(author, 'menu.txt'), CHANGED);
    const patchFile = join(scratch, 'menu.patch');
    const patch = git(author, 'diff');
    expect(patch.includes(Buffer.from('Cr\xeape', 'latin1'))).toBe(true);
    writeFileSync(patchFile, patch);

    // The peer: git apply on a fresh checkout of the target.
    const peer = join(scratch, 'peer');
    git(scratch, 'clone', '-q', '--branch', 'main', repositoryPath, peer);
    git(peer, 'apply', patchFile);
    const applied = readFileSync(join(peer, 'menu.txt'));
    expect(applied.equals(CHANGED)).toBe(true);

    const imported = gatehouse(['proposal', 'import', '--repo', repositoryId, '--diff', patchFile, '--name', 'menu-prices', '--as', 'rita', '--json'], 'rita-demo-passphrase');
    expect(imported.stderr + imported.stdout).not.toMatch(/does not apply|REFUSED|CONFLICT/);
    expect(imported.code).toBe(0);
    const { headOid } = JSON.parse(imported.stdout) as { headOid: string };
    const landed = git(repositoryPath, 'cat-file', 'blob', `${headOid}:menu.txt`);
    expect(landed.equals(applied)).toBe(true);
  }, 240_000);
});
