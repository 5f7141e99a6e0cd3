/**
 * For the tests of migrations before 0008, which ran on replicas whose
 * `events` rows carried their document inline (`events.doc`): writes event
 * rows into whatever `events` table the migrations so far made — the
 * document inline, and of the columns today's extraction
 * (store/replicated-rows.ts) yields, those the table has. RowWriter writes
 * today's schema only (the document in `events_doc`).
 */
import type Database from 'better-sqlite3';
import { extractedColumns, extractRow } from '../replicated-rows';

export function writeEventsInline(db: Database.Database, rows: readonly { key: string; v: number; row: unknown }[]): void {
  const have = new Set(db.prepare("SELECT name FROM pragma_table_info('events')").pluck().all() as string[]);
  if (!have.has('doc')) throw new Error('this replica keeps event documents apart (migration 0008): write rows with RowWriter');
  const names = ['key', 'v', 'doc', ...extractedColumns('events')];
  const kept = names.filter((c) => have.has(c));
  const put = db.prepare(
    `INSERT INTO events (${kept.join(', ')}) VALUES (${kept.map(() => '?').join(', ')}) ON CONFLICT (key) DO UPDATE SET ${kept
      .slice(1)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}`,
  );
  db.transaction(() => {
    for (const r of rows) {
      const { doc, values } = extractRow('events', r.key, r.row);
      const all = [r.key, r.v, doc, ...values];
      put.run(...all.filter((_, i) => have.has(names[i]!)));
    }
  })();
}
