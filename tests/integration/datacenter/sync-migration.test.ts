/**
 * Migrations 0005 sync and 0006 intake, on PGlite and PostgreSQL: the tables
 * exist with their constraints (one version row, ops that are upserts with a
 * row or deletes without, stored results that are rejections exactly when they
 * carry an error), and the replicated reference tables gained `v` and `scope`.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataCenterDb, Db } from '../../../src/datacenter/store/database';
import { migrate, rowsOf } from '../../../src/datacenter/store/migration';
import { migrations } from '../../../src/datacenter/store/migrations';
import { forEachBackend } from './backends';

async function refusedWith(db: Db, statement: ReturnType<typeof sql>): Promise<string | null> {
  try {
    await db.execute(statement);
    return null;
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code ?? 'unknown';
  }
}

forEachBackend('migrations 0005 sync and 0006 intake', (backend) => {
  let store: DataCenterDb;
  let db: Db;

  beforeAll(async () => {
    store = await backend.fresh({ migrate: false });
    db = store.db;
  });

  it('0005 applies after 0004 and gives the reference tables v and scope', async () => {
    const sync = migrations.findIndex((m) => m.name === 'sync') + 1;
    expect(sync).toBe(5);
    await migrate(db, migrations, { to: sync - 1 });
    await db.execute(sql`insert into meta (id, epoch) values (1, '00000000-0000-4000-8000-000000000001')`);
    await db.execute(sql`insert into areas (code, name, level, kind, parent_code, label_lon, label_lat, min_lon, min_lat, max_lon, max_lat, geometry, population)
      values ('440114', 'd', 'district', 'district', null, 0, 0, 0, 0, 0, 0, '{}', 0)`);
    expect((await migrate(db, migrations, { to: sync })).applied).toEqual([sync]);
    // rows that existed get version 0 and no scope (ensureReferenceReplicated publishes them later)
    expect(rowsOf(await db.execute(sql`select v::int as v, scope from areas`))).toEqual([{ v: 0, scope: null }]);
    for (const table of ['areas', 'grids', 'units', 'grid_workers']) {
      const cols = rowsOf<{ column_name: string }>(
        await db.execute(sql`select column_name from information_schema.columns where table_name = ${table} and column_name in ('v', 'scope') order by 1`),
      );
      expect(cols.map((c) => c.column_name), table).toEqual(['scope', 'v']);
    }
  });

  it('0005 keeps one version row and well-formed ops and results', async () => {
    await db.execute(sql`insert into sync_version (id, v) values (1, 0)`);
    expect(await refusedWith(db, sql`insert into sync_version (id, v) values (2, 0)`)).toBe('23514');
    expect(await refusedWith(db, sql`insert into change_log (v, seq, table_name, key, op, row) values (1, 0, 'events', 'e', 'upsert', null)`)).toBe('23514');
    expect(await refusedWith(db, sql`insert into change_log (v, seq, table_name, key, op, row) values (1, 0, 'events', 'e', 'delete', '{}')`)).toBe('23514');
    expect(await refusedWith(db, sql`insert into change_log (v, seq, table_name, key, op, row) values (1, 0, 'events', 'e', 'merge', null)`)).toBe('23514');
    await db.execute(sql`insert into change_log (v, seq, table_name, key, op, row) values (1, 0, 'events', 'e', 'upsert', '{}')`);
    expect(await refusedWith(db, sql`insert into change_log (v, seq, table_name, key, op, row) values (1, 0, 'events', 'f', 'upsert', '{}')`)).toBe('23505');
    expect(
      await refusedWith(db, sql`insert into client_mutations (client_id, mutation_id, name, status, error, v) values ('c', 1, 'wall/ack', 'rejected', null, 1)`),
    ).toBe('23514');
    expect(
      await refusedWith(db, sql`insert into client_mutations (client_id, mutation_id, name, status, error, v) values ('c', 1, 'wall/ack', 'applied', '{"code":"x"}', 1)`),
    ).toBe('23514');
    await db.execute(sql`insert into client_mutations (client_id, mutation_id, name, status, error, v) values ('c', 1, 'wall/ack', 'applied', null, 1)`);
    expect(
      await refusedWith(db, sql`insert into client_mutations (client_id, mutation_id, name, status, error, v) values ('c', 1, 'wall/ack', 'applied', null, 2)`),
    ).toBe('23505');
    await db.execute(sql`delete from change_log`);
    await db.execute(sql`delete from client_mutations`);
  });

  it('0006 intake follows and keeps external references unique', async () => {
    const intake = migrations.findIndex((m) => m.name === 'intake') + 1;
    expect(intake).toBe(6);
    expect((await migrate(db, migrations, { to: intake })).applied).toEqual([intake]);
    await db.execute(sql`insert into external_refs (system, ref_id, source, payload_hash) values ('12345', 'A1', 'hotline_12345', 'h')`);
    expect(await refusedWith(db, sql`insert into external_refs (system, ref_id, source, payload_hash) values ('12345', 'A1', 'hotline_12345', 'h')`)).toBe(
      '23505',
    );
    expect(
      await refusedWith(db, sql`insert into intake_quarantine (id, source, raw_payload, errors, status) values ('q1', 'api', '{}', '[]', 'replayed')`),
    ).toBe('23514');
  });

  describe('afterwards', () => {
    it('the rest of the list applies on top', async () => {
      const result = await migrate(db, migrations);
      expect(result.current).toBe(migrations.length);
    });
  });
});
