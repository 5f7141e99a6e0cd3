/**
 * The replica handle (store/open.ts, store/connection.ts): `reopen` closes the connection, runs its swap with no
 * connection open and opens the file again — also when the swap threw (its error rethrown, the old file open) —
 * and `perConnection` prepares again on the new connection; an in-memory replica cannot be reopened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionOf, perConnection } from './connection';
import { openReplica, type Replica } from './open';
import { readPreference, writePreference } from './preferences';

const dirs: string[] = [];
const open: Replica[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function replicaIn(): Replica {
  const d = mkdtempSync(path.join(os.tmpdir(), 'huying-connection-'));
  dirs.push(d);
  const r = openReplica({ file: path.join(d, 'replica.sqlite') });
  open.push(r);
  return r;
}

describe('the replica handle', () => {
  it('reopens the file: a new connection, the generation up, what perConnection built prepared again', () => {
    const r = replicaIn();
    writePreference(r.sqlite, 'k', 1);
    const read = perConnection(r, (db) => db.prepare("SELECT value FROM preferences WHERE key = 'k'").pluck());
    expect(read().get()).toBe('1');
    const first = read();
    const old = r.sqlite;
    let swapSawOpen: boolean | null = null;
    r.reopen(() => {
      swapSawOpen = old.open;
    });
    expect(swapSawOpen).toBe(false);
    expect(old.open).toBe(false);
    expect(r.sqlite).not.toBe(old);
    expect(r.generation).toBe(1);
    expect(r.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(r.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(read()).not.toBe(first);
    expect(read().get()).toBe('1');
    expect(r.db).toBeDefined();
  });

  it('reopens the old file when the swap throws, and rethrows', () => {
    const r = replicaIn();
    writePreference(r.sqlite, 'k', 'kept');
    expect(() =>
      r.reopen(() => {
        throw new Error('rename refused');
      }),
    ).toThrow('rename refused');
    expect(r.generation).toBe(1);
    expect(r.sqlite.open).toBe(true);
    expect(readPreference(r.sqlite, 'k')).toBe('kept');
  });

  it('refuses to reopen an in-memory replica; a bare connection is one generation', () => {
    const m = openReplica({ file: ':memory:' });
    open.push(m);
    expect(() => m.reopen()).toThrow(/in-memory/);
    expect(m.sqlite.open).toBe(true);
    const db = new Database(':memory:');
    expect(connectionOf(db)).toEqual({ sqlite: db, generation: 0 });
    db.close();
  });
});
