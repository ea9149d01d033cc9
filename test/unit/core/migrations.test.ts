/** The comments and agents migration domains: create their tables once, keep published records immutable. */
import { describe, expect, it } from 'vitest';
import { AGENTS_DOMAIN, migrateAgents } from '../../../electron/core/agents';
import { commentMigrations, COMMENTS_DOMAIN, migrateComments } from '../../../electron/core/comments';
import { migrate, openDatabase, schemaVersion } from '../../../electron/services/db/sqlite';

function tables(db: ReturnType<typeof openDatabase>): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

describe('comments and agents migrations', () => {
  it('create their tables in their own domains, once', () => {
    const db = openDatabase({ file: ':memory:' });
    migrateComments(db);
    migrateAgents(db);
    migrateComments(db);
    migrateAgents(db);
    expect(schemaVersion(db, COMMENTS_DOMAIN)).toBe(2);
    expect(schemaVersion(db, AGENTS_DOMAIN)).toBe(1);
    expect(tables(db)).toEqual(expect.arrayContaining(['comments', 'change_requests', 'change_request_comments', 'agents', 'agent_proposals', 'agent_submissions']));
    db.close();
  });

  it('keep a published comment and every change request as written', () => {
    const db = openDatabase({ file: ':memory:' });
    migrateComments(db);
    const insert = db.prepare(`INSERT INTO comments (id, repository, proposal, author_id, author_name, author_role, base, head, path, side, line,
      line_text, body, state, created_at, updated_at) VALUES (?, 'r', 'p', 'op', 'rita', 'reviewer', 'b', 'h', 'a.py', 'head', 1, 'x', 'body', ?, 't', 't')`);
    insert.run('draft', 'draft');
    insert.run('published', 'published');
    db.prepare("UPDATE comments SET body = 'edited' WHERE id = 'draft'").run();
    db.prepare("DELETE FROM comments WHERE id = 'draft'").run();
    expect(() => db.prepare("UPDATE comments SET body = 'edited' WHERE id = 'published'").run()).toThrow(/cannot change/);
    expect(() => db.prepare("DELETE FROM comments WHERE id = 'published'").run()).toThrow(/cannot be deleted/);
    expect(() => db.prepare("INSERT INTO comments (id, repository, proposal, author_id, author_name, author_role, base, head, path, side, line, line_text, body, state, created_at, updated_at) VALUES ('bad', 'r', 'p', 'op', 'n', 'reviewer', 'b', 'h', 'a', 'middle', 1, '', 'b', 'draft', 't', 't')").run()).toThrow(/CHECK/);
    db.prepare("INSERT INTO change_requests VALUES ('j', 't', 'r', 'p', 'h', 'tr', 'op', 'rita', 'reviewer', 'k', 'why', 't')").run();
    expect(() => db.prepare("UPDATE change_requests SET reason = 'other'").run()).toThrow(/append-only/);
    db.close();
  });

  it('comments v1 → v2: change requests and comments kept as they were; comment references append-only', () => {
    const db = openDatabase({ file: ':memory:' });
    migrate(db, COMMENTS_DOMAIN, commentMigrations.slice(0, 1));
    db.prepare("INSERT INTO change_requests VALUES ('j', 't', 'r', 'p', 'h', 'tr', 'op', 'rita', 'reviewer', 'k', 'why', 't')").run();
    db.prepare(`INSERT INTO comments (id, repository, proposal, author_id, author_name, author_role, base, head, path, side, line,
      line_text, body, state, created_at, updated_at, published_at, published_with, decision_jti)
      VALUES ('c1', 'r', 'p', 'op', 'rita', 'reviewer', 'b', 'h', 'a.py', 'head', 1, 'x', 'body', 'published', 't', 't', 't', 'request_changes', 'j')`).run();
    const before = { requests: db.prepare('SELECT * FROM change_requests').all(), comments: db.prepare('SELECT * FROM comments').all() };
    migrateComments(db);
    expect(schemaVersion(db, COMMENTS_DOMAIN)).toBe(2);
    expect({ requests: db.prepare('SELECT * FROM change_requests').all(), comments: db.prepare('SELECT * FROM comments').all() }).toEqual(before);
    db.prepare("INSERT INTO change_request_comments VALUES ('j', 'c1', ?)").run('a'.repeat(64));
    expect(() => db.prepare("UPDATE change_request_comments SET digest = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM change_request_comments').run()).toThrow(/append-only/);
    db.close();
  });
});
