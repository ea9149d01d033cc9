/**
 * The comment, request-changes and agent commands of the `gatehouse` CLI on a real data directory,
 * through the same dispatcher and roles as the console.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMain, root } from './helpers';

let dataDir: string;
let repo: string;

function gatehouse(args: ReadonlyArray<string>, passphrase?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliMain, '--data-dir', dataDir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GATEHOUSE_PASSPHRASE: passphrase ?? '' },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T>(args: ReadonlyArray<string>, passphrase?: string): T {
  const result = gatehouse([...args, '--json'], passphrase);
  if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-agents-'));
  repo = json<{ repositoryId: string }>(['demo']).repositoryId;
}, 240_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('gatehouse comment / request-changes / agent', () => {
  it('drafts a comment, publishes it with a signed request for changes, and lists it', () => {
    const draft = json<{ id: string; state: string; line: number }>(
      ['comment', 'add', '--repo', repo, '--proposal', 'quote-formula', '--as', 'rita', '--path', 'pricing/api.py', '--line', '17', '--body', "parse, don't eval"],
      'rita-demo-passphrase',
    );
    expect(draft).toMatchObject({ state: 'draft', line: 17 });
    // Drafts are the author's only.
    expect(json<{ comments: unknown[] }>(['comment', 'list', '--repo', repo, '--proposal', 'quote-formula', '--as', 'ava'], 'ava-demo-passphrase').comments).toEqual([]);
    expect(json<{ comments: unknown[] }>(['comment', 'list', '--repo', repo, '--proposal', 'quote-formula', '--as', 'rita'], 'rita-demo-passphrase').comments).toHaveLength(1);

    const auditor = gatehouse(['request-changes', '--repo', repo, '--proposal', 'quote-formula', '--as', 'ava', '--reason', 'auditor', '--json'], 'ava-demo-passphrase');
    expect(auditor.code).toBe(2);
    expect(auditor.stdout).toContain('FORBIDDEN_ROLE');
    const badLine = gatehouse(['comment', 'add', '--repo', repo, '--proposal', 'quote-formula', '--as', 'rita', '--path', 'pricing/api.py', '--line', 'x', '--body', 'b']);
    expect(badLine.code).toBe(2);

    const request = json<{ comments: number; operatorName: string }>(
      ['request-changes', '--repo', repo, '--proposal', 'quote-formula', '--as', 'rita', '--reason', 'eval on request input'],
      'rita-demo-passphrase',
    );
    expect(request).toMatchObject({ comments: 1, operatorName: 'rita' });
    const thread = json<{ reviewState: string; comments: Array<{ body: string; publishedWith: string }> }>(['comment', 'list', '--repo', repo, '--proposal', 'quote-formula', '--as', 'ava'], 'ava-demo-passphrase');
    expect(thread.reviewState).toBe('changes-requested');
    expect(thread.comments).toEqual([expect.objectContaining({ body: "parse, don't eval", publishedWith: 'request_changes' })]);
    const text = gatehouse(['comment', 'list', '--repo', repo, '--proposal', 'quote-formula', '--as', 'ava'], 'ava-demo-passphrase');
    expect(text.stdout).toContain('changes requested by rita (reviewer): eval on request input');
  }, 300_000);

  it('lets a lead register an agent, and nobody else', () => {
    const reviewer = gatehouse(['agent', 'add', 'coder', '--repo', repo, '--as', 'rita', '--json'], 'rita-demo-passphrase');
    expect(reviewer.code).toBe(2);
    expect(reviewer.stdout).toContain('FORBIDDEN_ROLE');
    const added = json<{ agent: { name: string; repositories: string[] }; credential: string }>(['agent', 'add', 'coder', '--repo', repo, '--as', 'lee'], 'lee-demo-passphrase');
    expect(added.agent).toMatchObject({ name: 'coder', repositories: [repo] });
    expect(added.credential).toMatch(/^gha_[A-Za-z0-9_-]{43}$/);
    expect(gatehouse(['agent', 'add', 'coder', '--repo', repo, '--as', 'lee', '--json'], 'lee-demo-passphrase').stdout).toContain('CONFLICT');
    expect(gatehouse(['agent', 'add', 'Bad Name', '--repo', repo, '--as', 'lee', '--json'], 'lee-demo-passphrase').code).toBe(2);
    const listed = json<Array<{ name: string; revokedAt: string | null }>>(['agent', 'list', '--as', 'lee'], 'lee-demo-passphrase');
    expect(listed).toEqual([expect.objectContaining({ name: 'coder', revokedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(added.credential);
    json(['agent', 'revoke', 'coder', '--as', 'lee'], 'lee-demo-passphrase');
    expect(json<Array<{ revokedAt: string | null }>>(['agent', 'list', '--as', 'lee'], 'lee-demo-passphrase')[0]?.revokedAt).not.toBeNull();
  }, 300_000);
});
