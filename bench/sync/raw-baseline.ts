/**
 * The snapshot's raw baseline (issue 4): the data center's event rows, read a page at a time, put
 * into a bare table with one better-sqlite3 prepared insert per row in a transaction per page.
 * Only the inserts are timed (wall and CPU time: the CPU holds still when other work loads the
 * machine, the wall time does not). Shared by bench:sync and profile-server.ts so both compare against
 * the same figure.
 */
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/datacenter/store/database';
import { rowsOf } from '../../src/datacenter/store/migration';

export async function measureRawInsert(db: Db, file: string): Promise<{ rows: number; ms: number; rowsPerSecond: number; cpuMs: number }> {
  const rawDb = new Database(file);
  try {
    rawDb.pragma('journal_mode = WAL');
    rawDb.pragma('synchronous = NORMAL');
    rawDb.exec('CREATE TABLE raw (key TEXT NOT NULL, v INTEGER NOT NULL, doc TEXT NOT NULL)');
    const insert = rawDb.prepare('INSERT INTO raw (key, v, doc) VALUES (?, ?, ?)');
    const insertAll = rawDb.transaction((rows: { key: string; v: number; doc: string }[]) => {
      for (const r of rows) insert.run(r.key, r.v, r.doc);
    });
    let ms = 0;
    let cpuMs = 0;
    let rows = 0;
    for (let after = ''; ; ) {
      const page = rowsOf<{ key: string; v: string | number; doc: string }>(
        await db.execute(sql`SELECT key, v, row::text AS doc FROM sync_rows WHERE table_name = 'events' AND key > ${after} ORDER BY key LIMIT 10000`),
      ).map((r) => ({ key: r.key, v: Number(r.v), doc: r.doc }));
      if (page.length === 0) break;
      const t = performance.now();
      const c = process.cpuUsage();
      insertAll(page);
      ms += performance.now() - t;
      const used = process.cpuUsage(c);
      cpuMs += (used.user + used.system) / 1000;
      rows += page.length;
      after = page[page.length - 1]!.key;
    }
    return { rows, ms, rowsPerSecond: rows / (ms / 1000), cpuMs };
  } finally {
    rawDb.close();
  }
}
