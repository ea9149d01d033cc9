import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../../../electron/services/db/sqlite';
import { openRepositoryRegistry, REPOSITORY_MIGRATIONS } from '../../../../electron/services/git/registry';
import { makeRepo, type TempRepo } from '../../../fixtures/git/repo';

const repos: TempRepo[] = [];
const temps: string[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-db-'));
  temps.push(dir);
  return join(dir, 'gatehouse.sqlite');
}

function repoFixture(): TempRepo {
  const t = makeRepo({ 'a.txt': 'a\n' });
  t.git('branch', 'release');
  repos.push(t);
  return t;
}

describe('repository registry', () => {
  it('adds, lists, gets, updates and removes, persisting in the database file', async () => {
    const file = dbFile();
    const t = repoFixture();
    const other = repoFixture();
    let n = 0;
    const clock = { now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, n++)) };
    const db = openDatabase({ file });
    const registry = openRepositoryRegistry({ db, clock, newId: () => `repo-${n}` });
    const added = await registry.add({ path: join(t.dir, '.', ''), targetBranch: 'main' });
    expect(added).toMatchObject({ path: t.dir, targetBranch: 'main', proposalRefPattern: 'refs/heads/proposals/*' });
    const second = await registry.add({ path: other.dir, targetBranch: 'refs/heads/release', proposalRefPattern: 'refs/heads/agents/*' });
    expect(second.targetBranch).toBe('release');
    expect(registry.list().map((r) => r.id)).toEqual([added.id, second.id]);
    const updated = await registry.update(added.id, { targetBranch: 'release', proposalRefPattern: 'refs/heads/ai/*/head' });
    expect(updated).toMatchObject({ targetBranch: 'release', proposalRefPattern: 'refs/heads/ai/*/head', createdAt: added.createdAt });
    expect(updated.updatedAt > added.updatedAt).toBe(true);
    db.close();
    const reopened = openRepositoryRegistry({ db: openDatabase({ file }) });
    expect(reopened.get(added.id)).toEqual(updated);
    reopened.remove(second.id);
    expect(reopened.list().map((r) => r.id)).toEqual([added.id]);
    expect(() => reopened.get(second.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => reopened.remove(second.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('validates path, branch and pattern', async () => {
    const t = repoFixture();
    const registry = openRepositoryRegistry({ db: openDatabase({ file: ':memory:' }) });
    const notRepo = mkdtempSync(join(tmpdir(), 'gh-'));
    temps.push(notRepo);
    await expect(registry.add({ path: notRepo, targetBranch: 'main' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(registry.add({ path: join(notRepo, 'missing'), targetBranch: 'main' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(registry.add({ path: t.dir, targetBranch: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(registry.add({ path: t.dir, targetBranch: 'bad..name' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(registry.add({ path: t.dir, targetBranch: 'main', proposalRefPattern: 'refs/heads/proposals/' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(registry.add({ path: t.dir, targetBranch: 'main', proposalRefPattern: 'refs/gatehouse/*' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(registry.add({ path: t.dir, targetBranch: 'main', proposalRefPattern: 'heads/*' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const added = await registry.add({ path: t.dir, targetBranch: 'main' });
    await expect(registry.add({ path: t.dir, targetBranch: 'release' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(registry.update(added.id, { targetBranch: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(registry.get(added.id).targetBranch).toBe('main');
  });

  it('migrates once: the schema version is recorded and a second open changes nothing', () => {
    const db = openDatabase({ file: ':memory:' });
    openRepositoryRegistry({ db });
    expect(schemaVersion(db, 'repositories')).toBe(REPOSITORY_MIGRATIONS.length);
    db.prepare("INSERT INTO repositories VALUES ('x', '/p', 'main', 'refs/heads/proposals/*', 't', 't')").run();
    openRepositoryRegistry({ db });
    expect(db.prepare('SELECT id, path FROM repositories').all()).toEqual([{ id: 'x', path: '/p' }]);
  });
});
