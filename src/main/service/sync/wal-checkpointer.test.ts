/**
 * The checkpoint worker (./wal-checkpointer.ts): it checkpoints a WAL another connection wrote, in a thread of its
 * own — the writer's thread goes on committing meanwhile — waits for a reader on this thread to let go before it
 * truncates the WAL, and answers with what it did.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { checkpointOffThread } from './wal-checkpointer';

const dirs: string[] = [];
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const d of dbs.splice(0)) if (d.open) d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** a WAL database with `rows` rows of 4 KB in its WAL, none checkpointed (autocheckpoint off, as during a switch) */
function walDatabase(rows: number): { db: Database.Database; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-checkpoint-'));
  dirs.push(dir);
  const file = path.join(dir, 'replica.sqlite');
  const db = new Database(file);
  dbs.push(db);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (x TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`${i}`.padEnd(4000, '.'));
  })();
  return { db, file };
}

it('checkpoints and truncates the WAL off this thread, once a reader here lets go', async () => {
  const { db, file } = walDatabase(2000);
  const walBefore = statSync(`${file}-wal`).size;
  expect(walBefore).toBeGreaterThan(8_000_000);
  expect(statSync(file).size).toBeLessThan(100_000);
  // a reader in the WAL (another connection of this thread): TRUNCATE must wait for it
  const reader = new Database(file);
  dbs.push(reader);
  const reading = reader.prepare('SELECT x FROM t').iterate();
  reading.next();
  const running = checkpointOffThread({ file, retryMs: 10 });
  // this thread commits while the worker checkpoints: nothing of it waits for the worker
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) insert.run(`w${i}`);
  expect(performance.now() - t0).toBeLessThan(2_000);
  // the worker's first passive pass took what the reader's snapshot allows: the 2,000 rows, not the 20 after them
  await expect.poll(() => statSync(file).size, { timeout: 10_000, interval: 5 }).toBeGreaterThan(8_000_000);
  expect(statSync(`${file}-wal`).size).toBeGreaterThanOrEqual(walBefore);
  reading.return?.();
  const result = await running.done;
  expect(result).toMatchObject({ truncated: true });
  expect(result.checkpointed).toBe(result.log);
  // it waited for the reader: passive passes that could not take the frames after the reader's snapshot
  expect(result.passes).toBeGreaterThan(1);
  expect(statSync(`${file}-wal`).size).toBe(0);
  expect(statSync(file).size).toBeGreaterThan(8_000_000);
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2020);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
});

it('gives up truncating after its tries while a reader stays, having checkpointed what it could', async () => {
  const { file } = walDatabase(50);
  const reader = new Database(file);
  dbs.push(reader);
  const reading = reader.prepare('SELECT x FROM t').iterate();
  reading.next();
  const result = await checkpointOffThread({ file, retryMs: 5, truncateTries: 3 }).done;
  reading.return?.();
  expect(result).toMatchObject({ truncated: false, tries: 3 });
  expect(result.checkpointed).toBe(result.log);
});

it('rejects when the file cannot be opened', async () => {
  await expect(checkpointOffThread({ file: path.join(os.tmpdir(), 'huying-no-such-folder', 'replica.sqlite') }).done).rejects.toThrow();
});
