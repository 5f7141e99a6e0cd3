/**
 * The migration runner: order, idempotence, one transaction per migration,
 * refusal of a replica from a newer build, and the pragmas of a file replica.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, ReplicaTooNewError } from './migrate';
import { migrations } from './migrations';
import type { Logger } from '../log';
import { openReplica, REPLICA_PAGE_SIZE } from './open';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every migration once, in order, and records it', () => {
    const db = new Database(':memory:');
    const first = migrate(db);
    expect(first.applied).toEqual(migrations.map((m) => m.id));
    expect(first.version).toBe(migrations.length);
    const rows = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all();
    expect(rows).toEqual(migrations.map((m) => ({ id: m.id, name: m.name })));
    const again = migrate(db);
    expect(again.applied).toEqual([]);
    expect(again.version).toBe(migrations.length);
  });

  it('lists every migration file in index.ts, numbered 1, 2, 3 … like its file name', () => {
    const files = readdirSync(path.join(import.meta.dirname, 'migrations'))
      .filter((f) => /^\d{4}-.*\.ts$/.test(f) && !f.endsWith('.test.ts'))
      .sort();
    expect(files.map((f) => f.replace(/\.ts$/, ''))).toEqual(migrations.map((m) => `${String(m.id).padStart(4, '0')}-${m.name}`));
  });

  it('applies a migration and its record in one transaction: a failure leaves no trace', () => {
    const db = new Database(':memory:');
    const good = { id: 1, name: 'good', sql: 'CREATE TABLE a (x INTEGER)' };
    const bad = { id: 2, name: 'bad', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' };
    expect(() => migrate(db, [good, bad])).toThrow(/nowhere/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['a', 'schema_migrations']);
    expect(db.prepare('SELECT id FROM schema_migrations').pluck().all()).toEqual([1]);
    // the fixed migration goes through on the next start
    const fixed = { id: 2, name: 'bad', sql: 'CREATE TABLE b (x INTEGER)' };
    expect(migrate(db, [good, fixed]).applied).toEqual([2]);
  });

  it('refuses a replica written by a newer build', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(migrations.length + 1, 'from-the-future', 'x');
    expect(() => migrate(db)).toThrow(ReplicaTooNewError);
  });

  it('refuses a replica whose history disagrees with this build', () => {
    const db = new Database(':memory:');
    migrate(db, [{ id: 1, name: 'something-else', sql: 'CREATE TABLE z (x)' }]);
    expect(() => migrate(db)).toThrow(/does not match/);
  });

  it('rejects a migration list with gaps', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ id: 2, name: 'two', sql: 'SELECT 1' }])).toThrow(/without gaps/);
  });
});

describe('openReplica', () => {
  it('opens a file replica in WAL mode with synchronous=FULL and foreign keys on, migrated', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-replica-'));
    dirs.push(dir);
    const replica = openReplica({ file: path.join(dir, 'r.sqlite') });
    try {
      expect(replica.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(replica.sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(replica.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(replica.migration.applied).toEqual(migrations.map((m) => m.id));
    } finally {
      replica.close();
    }
    const reopened = openReplica({ file: path.join(dir, 'r.sqlite') });
    expect(reopened.migration.applied).toEqual([]);
    reopened.close();
  });

  it('gives a new file 16 KB pages, and rebuilds a small replica of 4 KB pages with them, keeping its rows', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-replica-'));
    dirs.push(dir);
    const fresh = openReplica({ file: path.join(dir, 'new.sqlite') });
    expect(fresh.sqlite.pragma('page_size', { simple: true })).toBe(REPLICA_PAGE_SIZE);
    expect(REPLICA_PAGE_SIZE).toBe(16_384);
    fresh.close();

    // a replica made by an earlier build: 4 KB pages, WAL, an outbox entry and a replicated row
    const old = (file: string) => {
      const db = new Database(file);
      db.pragma('page_size = 4096');
      db.pragma('journal_mode = WAL');
      migrate(db);
      db.prepare("INSERT INTO outbox (client_id, created_at, mutation, state, updated_at) VALUES ('c', 'now', '{}', 'queued', 'now')").run();
      db.prepare("INSERT INTO config (key, v, doc) VALUES ('calendar', 3, '{}')").run();
      expect(db.pragma('page_size', { simple: true })).toBe(4096);
      db.close();
    };
    old(path.join(dir, 'small.sqlite'));
    const small = openReplica({ file: path.join(dir, 'small.sqlite') });
    try {
      expect(small.sqlite.pragma('page_size', { simple: true })).toBe(REPLICA_PAGE_SIZE);
      expect(small.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(small.sqlite.prepare('SELECT client_id, state FROM outbox').all()).toEqual([{ client_id: 'c', state: 'queued' }]);
      expect(small.sqlite.prepare('SELECT key, v FROM config').all()).toEqual([{ key: 'calendar', v: 3 }]);
      expect(small.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      small.close();
    }

    // above the limit the file keeps its pages (a VACUUM would copy all of it)
    old(path.join(dir, 'big.sqlite'));
    const big = openReplica({ file: path.join(dir, 'big.sqlite'), pageSizeRebuildMaxBytes: 4096 });
    try {
      expect(big.sqlite.pragma('page_size', { simple: true })).toBe(4096);
      expect(big.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(big.sqlite.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    } finally {
      big.close();
    }
  });

  it('keeps the page size of a replica it cannot rebuild: quietly when another connection holds it, logged otherwise', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-replica-'));
    dirs.push(dir);
    const old = (file: string) => {
      const db = new Database(file);
      db.pragma('page_size = 4096');
      db.pragma('journal_mode = WAL');
      migrate(db);
      db.prepare("INSERT INTO config (key, v, doc) VALUES ('calendar', 3, '{}')").run();
      db.close();
    };
    const logged: { level: string; obj: object; msg?: string }[] = [];
    const log = Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (obj: object, msg?: string) => logged.push({ level, obj, msg })])) as unknown as Logger;

    // another connection has the file open: it cannot leave WAL mode for the VACUUM (SQLITE_BUSY), nothing is logged
    const heldFile = path.join(dir, 'held.sqlite');
    old(heldFile);
    const holder = new Database(heldFile);
    holder.prepare('SELECT count(*) FROM config').pluck().get();
    const held = openReplica({ file: heldFile, log });
    try {
      expect(held.sqlite.pragma('page_size', { simple: true })).toBe(4096);
      expect(held.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(held.sqlite.prepare('SELECT key FROM config').pluck().all()).toEqual(['calendar']);
    } finally {
      held.close();
      holder.close();
    }
    expect(logged).toEqual([]);

    // a page of one table is damaged: the VACUUM, which reads every table, fails (SQLITE_CORRUPT); kept, and logged
    const brokenFile = path.join(dir, 'broken.sqlite');
    old(brokenFile);
    const db = new Database(brokenFile);
    const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'config'").pluck().get() as number;
    db.pragma('journal_mode = DELETE');
    db.close();
    const fd = openSync(brokenFile, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, (root - 1) * 4096);
    closeSync(fd);
    const broken = openReplica({ file: brokenFile, log });
    try {
      expect(broken.sqlite.pragma('page_size', { simple: true })).toBe(4096);
      expect(broken.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      broken.close();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', obj: { file: brokenFile, pageSize: 4096 }, msg: 'could not rebuild the replica with 16384-byte pages; it keeps its 4096-byte pages' });
    expect((logged[0]!.obj as { err: { code?: string } }).err.code).toBe('SQLITE_CORRUPT');
  });

  it('passes nativeBinding to better-sqlite3 (a wrong path fails loudly)', () => {
    expect(() => openReplica({ file: ':memory:', nativeBinding: '/nonexistent/better_sqlite3.node' })).toThrow();
  });
});
