/**
 * The replica handle (store/open.ts, store/connection.ts): `reopen` closes the connection, runs its swap with no
 * connection open and opens the file again — also when the swap threw (its error rethrown, the old file open) —
 * and `perConnection` prepares again on the new connection; an in-memory replica cannot be reopened.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionOf, perConnection } from './connection';
import { openReplica, ReplicaFailed, type Replica } from './open';
import { readPreference, writePreference } from './preferences';

const dirs: string[] = [];
const open: Replica[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function replicaIn(opts: Partial<Parameters<typeof openReplica>[0]> = {}): Replica {
  const d = mkdtempSync(path.join(os.tmpdir(), 'huying-connection-'));
  dirs.push(d);
  const r = openReplica({ file: path.join(d, 'replica.sqlite'), ...opts });
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

  // a folder in the file's place: the open fails every time, as on a full disk or out of descriptors
  const unopenable = (r: Replica) => () => {
    rmSync(r.file);
    mkdirSync(r.file);
  };

  it('fails the handle when the file does not open again after its tries: ReplicaFailed, onFailed once, every use throws it', () => {
    const failures: ReplicaFailed[] = [];
    const r = replicaIn({ reopenRetryMs: [20, 20], onFailed: (err) => failures.push(err) });
    const read = perConnection(r, (db) => db.prepare('SELECT count(*) FROM preferences').pluck());
    read();
    const t0 = performance.now();
    let thrown: unknown;
    try {
      r.reopen(unopenable(r));
    } catch (err) {
      thrown = err;
    }
    // three tries, two pauses between them
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    expect(thrown).toBeInstanceOf(ReplicaFailed);
    expect((thrown as Error).message).toMatch(/the replica cannot be opened again: .*\(3 tries\)/);
    expect((thrown as ReplicaFailed).cause).toBe((thrown as ReplicaFailed).openError);
    expect(failures).toEqual([thrown]);
    // not the closed connection: the failure, clearly, to every holder
    expect(() => r.sqlite).toThrow(thrown as Error);
    expect(() => r.db).toThrow(thrown as Error);
    expect(() => read()).toThrow(thrown as Error);
    expect(() => r.reopen()).toThrow(thrown as Error);
    expect(failures).toHaveLength(1);
    r.close();
  });

  it("keeps the swap's error as the cause when the swap threw and the file then did not open", () => {
    const failures: ReplicaFailed[] = [];
    const r = replicaIn({ reopenRetryMs: [0], onFailed: (err) => failures.push(err) });
    const swapError = new Error('rename refused');
    let thrown: unknown;
    try {
      r.reopen(() => {
        unopenable(r)();
        throw swapError;
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ReplicaFailed);
    expect((thrown as ReplicaFailed).cause).toBe(swapError);
    expect((thrown as Error).message).toMatch(/after the swap failed: rename refused/);
    expect(failures).toEqual([thrown]);
  });

  it("names the file by its real path, resolved once: a symlinked data folder gives SQLite's own name of the file", () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'huying-connection-'));
    dirs.push(d);
    mkdirSync(path.join(d, 'real'));
    symlinkSync(path.join(d, 'real'), path.join(d, 'link'));
    const r = openReplica({ file: path.join(d, 'link', 'replica.sqlite') });
    open.push(r);
    const main = () => (r.sqlite.prepare('PRAGMA database_list').all() as { name: string; file: string }[]).find((x) => x.name === 'main')!.file;
    expect(r.file).toBe(path.join(realpathSync(d), 'real', 'replica.sqlite'));
    expect(main()).toBe(r.file);
    r.reopen();
    expect(main()).toBe(r.file);
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
