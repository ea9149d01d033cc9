/**
 * `gatehouse --version` answers before commander loads (electron/cli/main.ts): it must print exactly what
 * commander's own --version handler prints, which still runs when other arguments come with it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

function gatehouse(args: ReadonlyArray<string>): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('gatehouse --version', () => {
  it('prints the package version, the same on the fast path and through commander', () => {
    const fast = gatehouse(['--version']);
    const short = gatehouse(['-V']);
    const viaCommander = gatehouse(['--data-dir', join(root, 'no-such-dir'), '--version']);
    const afterCommand = gatehouse(['audit', '--version']);
    expect(fast).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(short).toEqual(fast);
    expect(viaCommander).toEqual(fast);
    expect(afterCommand).toEqual(fast);
  }, 240_000);
});
