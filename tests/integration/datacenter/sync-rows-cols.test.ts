/**
 * Migration 0007 sync-rows-cols and the extracted columns the data center stores with each replicated row
 * (sync_rows.cols / cols_version, src/datacenter/sync/write.ts storedColumns), on PGlite and PostgreSQL: rows
 * that existed keep null columns, a write fills them with what the desktop's extraction reads from the row's
 * jsonb text, a table without columns and a row the extraction refuses are written without, and an update
 * replaces them.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { EXTRACTION_VERSION, extractValues } from '../../../src/core/sync/extraction';
import type { DataCenterDb, Db } from '../../../src/datacenter/store/database';
import { migrate, rowsOf } from '../../../src/datacenter/store/migration';
import { migrations } from '../../../src/datacenter/store/migrations';
import { writeReplicated } from '../../../src/datacenter/sync/write';
import { forEachBackend } from './backends';

/** an event document with what the replica indexes (a non-ASCII title, a clock with a closed pause) */
function eventDoc(id: string, title: string, status = 'in_progress'): Record<string, unknown> {
  return {
    id,
    caseNo: `C-${id}`,
    source: 'hotline',
    urgency: 'normal',
    title,
    description: 'x',
    location: [113.2644, 23.1291],
    createdAt: '2026-01-01T00:00:00.000Z',
    workflow: {
      status,
      categoryCode: 'road',
      area: { townCode: '440114001000', villageCode: 'V', gridCode: 'G' },
      reportedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T01:00:00.000+08:00',
      clocks: [{ startedAt: '2026-01-01T00:00:00.000Z', baseDeadline: '2026-01-02T00:00:00.000Z', pauses: [{ from: '2026-01-01T02:00:00Z', to: '2026-01-01T03:00:00Z' }] }],
      assistingUnitIds: ['U1'],
    },
  };
}

type Stored = { key: string; row: string; cols: string | null; cols_version: number | null };
async function stored(db: Db, table: string): Promise<Stored[]> {
  return rowsOf<Stored>(await db.execute(sql`select key, row::text as row, cols, cols_version from sync_rows where table_name = ${table} order by key`));
}

forEachBackend('migration 0007 sync-rows-cols and stored columns', (backend) => {
  let store: DataCenterDb;
  let db: Db;

  beforeAll(async () => {
    store = await backend.fresh({ migrate: false });
    db = store.db;
  });

  it('0007 applies after 0006 and leaves existing rows without columns', async () => {
    const id = migrations.findIndex((m) => m.name === 'sync-rows-cols') + 1;
    expect(id).toBe(7);
    await migrate(db, migrations, { to: id - 1 });
    await db.execute(sql`insert into sync_rows (table_name, key, scope, v, row) values ('events', 'OLD', null, 1, ${JSON.stringify(eventDoc('OLD', 'old'))}::jsonb)`);
    expect((await migrate(db, migrations, { to: id })).applied).toEqual([id]);
    expect(await stored(db, 'events')).toEqual([expect.objectContaining({ key: 'OLD', cols: null, cols_version: null })]);
    // columns go with the version that computed them
    await expect(db.execute(sql`update sync_rows set cols = '[]' where key = 'OLD'`)).rejects.toThrow();
    await expect(db.execute(sql`update sync_rows set cols_version = 1 where key = 'OLD'`)).rejects.toThrow();
    await migrate(db, migrations);
  });

  it('a replicated write stores the columns the desktop extracts from the jsonb text', async () => {
    await writeReplicated(db, async (_tx, out) => {
      out.upsert('events', 'E1', '440114001000', eventDoc('E1', '道路 "积水" \\ 𠀀'));
      out.upsert('events', 'E2', '440114001000', { ...eventDoc('E2', 't'), createdAt: 'not a time' }); // refused by extraction
      out.upsert('workers', 'W1', null, { name: 'w' }); // no columns
      out.upsert('audit', 'E1:1', '440114001000', { eventId: 'E1', seq: 1, at: '2026-01-01T00:00:00Z' });
    });
    const events = await stored(db, 'events');
    const e1 = events.find((r) => r.key === 'E1')!;
    expect(e1.cols_version).toBe(EXTRACTION_VERSION);
    expect(JSON.parse(e1.cols!)).toEqual(extractValues('events', 'E1', JSON.parse(e1.row)));
    expect(JSON.parse(e1.cols!)[21]).toBe('道路 "积水" \\ 𠀀');
    expect(events.find((r) => r.key === 'E2')).toEqual(expect.objectContaining({ cols: null, cols_version: null }));
    expect(await stored(db, 'workers')).toEqual([expect.objectContaining({ key: 'W1', cols: null, cols_version: null })]);
    const [audit] = await stored(db, 'audit');
    expect(JSON.parse(audit!.cols!)).toEqual(['E1', 1, Date.parse('2026-01-01T00:00:00Z')]);
  });

  it('an update replaces the columns (and a row now refused loses them)', async () => {
    await writeReplicated(db, async (_tx, out) => {
      out.upsert('events', 'E1', '440114001000', eventDoc('E1', 'closed', 'closed'));
      out.upsert('events', 'OLD', null, eventDoc('OLD', 'now with columns'));
      out.upsert('audit', 'E1:1', '440114001000', { eventId: 'E1', seq: 'one', at: '2026-01-01T00:00:00Z' });
    });
    const events = await stored(db, 'events');
    const e1 = events.find((r) => r.key === 'E1')!;
    expect(JSON.parse(e1.cols!).slice(1, 3)).toEqual(['closed', 0]);
    const old = events.find((r) => r.key === 'OLD')!;
    expect(JSON.parse(old.cols!)).toEqual(extractValues('events', 'OLD', JSON.parse(old.row)));
    expect(await stored(db, 'audit')).toEqual([expect.objectContaining({ cols: null, cols_version: null })]);
  });
});
