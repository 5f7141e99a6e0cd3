/**
 * Migration 0008 sync-rows-text: `sync_rows.row` holds each document as PostgreSQL's `jsonb::text` renders
 * it, so a snapshot copies it instead of rendering every row's jsonb again (docs/sync-protocol.md §12). On
 * PGlite and PostgreSQL: rows written before 0008 become exactly their jsonb's text; every writer — the
 * replicated write and the history generator's bulk path — stores that rendering, never the text it was
 * given (the desktop splits rows lines on jsonb::text's spacing: docs/sync-protocol.md "Extracted columns").
 */
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import type { DataCenterDb, Db } from '../../../src/datacenter/store/database';
import { migrate, rowsOf } from '../../../src/datacenter/store/migration';
import { migrations } from '../../../src/datacenter/store/migrations';
import { writeReplicated } from '../../../src/datacenter/sync/write';
import { forEachBackend } from './backends';

/** documents whose jsonb text differs from the text they were given: member order, spacing, numbers, escapes */
const DOCS: Record<string, string> = {
  A: '{"z":1,"a":[{"key":"k","v":2},{"key":"l"}],"m":{"y":true,"b":null}}',
  B: '{"title":"道路 \\"积水\\" \\\\ 𠀀 \\u00e9\\n","n":1.50,"e":1e3,"neg":-0.0,"big":12345678901234567890}',
  C: '{"dup":1,"dup":2,"empty":{},"list":[]}',
  // big enough to be compressed in place
  D: `{"long":"${'巡查 patrol '.repeat(400)}","n":[${Array.from({ length: 200 }, (_, i) => i).join(',')}]}`,
};

/** what PostgreSQL renders for `text` cast to jsonb and back */
async function jsonbText(db: Db, text: string): Promise<string> {
  return rowsOf<{ t: string }>(await db.execute(sql`select ${text}::jsonb::text as t`))[0]!.t;
}

async function storedRows(db: Db): Promise<Map<string, string>> {
  const rows = rowsOf<{ key: string; row: string; type: string }>(
    await db.execute(sql`select key, row, pg_typeof(row)::text as type from sync_rows where table_name = 'audit' order by key`),
  );
  for (const r of rows) expect(r.type).toBe('text');
  return new Map(rows.map((r) => [r.key, r.row]));
}

forEachBackend('migration 0008 sync-rows-text', (backend) => {
  let store: DataCenterDb;
  let db: Db;

  beforeAll(async () => {
    store = await backend.fresh({ migrate: false });
    db = store.db;
  });

  it('0008 applies after 0007 and turns every stored document into its jsonb text', async () => {
    const id = migrations.findIndex((m) => m.name === 'sync-rows-text') + 1;
    expect(id).toBe(8);
    await migrate(db, migrations, { to: id - 1 });
    for (const [key, text] of Object.entries(DOCS)) {
      await db.execute(sql`insert into sync_rows (table_name, key, scope, v, row) values ('audit', ${key}, null, 1, ${text}::jsonb)`);
    }
    const before = new Map(
      rowsOf<{ key: string; row: string }>(await db.execute(sql`select key, row::text as row from sync_rows order by key`)).map((r) => [r.key, r.row]),
    );
    expect((await migrate(db, migrations, { to: id })).applied).toEqual([id]);
    const after = await storedRows(db);
    expect(after).toEqual(before);
    for (const [key, text] of Object.entries(DOCS)) {
      expect(after.get(key)).toBe(await jsonbText(db, text));
      expect(after.get(key)).not.toBe(text);
    }
    // jsonb::text's spacing, which the desktop's line split relies on
    expect(after.get('A')).toBe('{"a": [{"v": 2, "key": "k"}, {"key": "l"}], "m": {"b": null, "y": true}, "z": 1}');
    // lz4 where the server has it (the rewrite wrote it already), pglz elsewhere
    const lz4 = await db.transaction(async (tx) => {
      await tx.execute(sql`create temporary table lz4_probe (t text) on commit drop`);
      try {
        await tx.execute(sql`savepoint probe`);
        await tx.execute(sql`alter table lz4_probe alter column t set compression lz4`);
        return true;
      } catch {
        await tx.execute(sql`rollback to savepoint probe`);
        return false;
      }
    });
    if (backend.kind === 'postgres') expect(lz4).toBe(true); // the test cluster's build (Debian's) has it
    const [method] = rowsOf<{ column: string; value: string | null }>(
      await db.execute(sql`select a.attcompression::text as column, (select pg_column_compression(row) from sync_rows where key = 'D') as value
        from pg_attribute a where a.attrelid = 'sync_rows'::regclass and a.attname = 'row'`),
    );
    expect(method).toEqual(lz4 ? { column: 'l', value: 'lz4' } : { column: '', value: 'pglz' });
    await migrate(db, migrations);
  });

  it('a replicated write stores the jsonb text of the document, not the JSON it was given', async () => {
    const docs = Object.fromEntries(Object.entries(DOCS).map(([k, text]) => [`W${k}`, text]));
    await writeReplicated(db, async (_tx, out) => {
      // JSON.parse keeps the last of a repeated member, as jsonb does
      for (const [key, text] of Object.entries(docs)) out.upsert('audit', key, null, JSON.parse(text));
    });
    const stored = await storedRows(db);
    for (const [key, text] of Object.entries(docs)) expect(stored.get(key)).toBe(await jsonbText(db, JSON.stringify(JSON.parse(text))));
    // the change log keeps jsonb: the live feed's text of a row is the snapshot's
    const logged = rowsOf<{ key: string; row: string }>(await db.execute(sql`select key, row::text as row from change_log where key like 'W%'`));
    expect(logged).toHaveLength(4);
    for (const r of logged) expect(r.row).toBe(stored.get(r.key));
  });

  it('every stored row is its own jsonb rendering', async () => {
    const [r] = rowsOf<{ n: number; bad: number }>(await db.execute(sql`select count(*)::int as n, count(*) filter (where row <> row::jsonb::text)::int as bad from sync_rows`));
    expect(r).toEqual({ n: 8, bad: 0 });
  });
});
