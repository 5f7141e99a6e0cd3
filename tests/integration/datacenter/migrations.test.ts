/**
 * The migration runner and every migration, on PGlite and on PostgreSQL:
 * each migration applies once (even with two runners racing), leaves the
 * schema that src/datacenter/store/schema.ts declares, and its constraints
 * hold; a failing migration leaves nothing behind; a database newer than the
 * code, or an edited migration, stops the start-up.
 */
import { sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HuyingError } from '../../../src/core';
import { ensureMetaRow, openDatabase, type DataCenterDb, type Db } from '../../../src/datacenter/store/database';
import { appliedMigrations, migrate, rowsOf, type Migration, type MigrationProgress } from '../../../src/datacenter/store/migration';
import { migrations } from '../../../src/datacenter/store/migrations';
import { schema } from '../../../src/datacenter/store/schema';
import { forEachBackend } from './backends';

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

async function columnsOf(db: Db, table: string): Promise<string[]> {
  const r = await rows<{ column_name: string }>(
    db,
    sql`select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${table} order by column_name`,
  );
  return r.map((c) => c.column_name);
}

/** runs `statement`, expecting PostgreSQL to refuse it with this SQLSTATE (23503 FK, 23505 unique, 23514 check) */
async function expectRefused(db: Db, statement: ReturnType<typeof sql>, sqlstate: string): Promise<void> {
  let caught: unknown = null;
  try {
    await db.execute(statement);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'statement should have been refused').not.toBeNull();
  // drizzle wraps driver errors; the SQLSTATE sits on the error or its cause
  const e = caught as { code?: string; cause?: { code?: string } };
  expect(e.cause?.code ?? e.code).toBe(sqlstate);
}

const district = sql`insert into areas (code, name, level, kind, parent_code, label_lon, label_lat, min_lon, min_lat, max_lon, max_lat, geometry, population)
  values ('440114', 'd', 'district', 'district', null, 113.2, 23.4, 113, 23, 114, 24, '{"type":"Polygon","coordinates":[]}', 1)`;

function gridRow(code: string, validFrom: string, validTo: string | null) {
  return sql`insert into grids (code, valid_from, valid_to, name, kind, village_code, town_code, label_lon, label_lat, min_lon, min_lat, max_lon, max_lat, geometry)
    values (${code}, ${validFrom}, ${validTo}, 'g', 'rural', '440114', '440114', 113.2, 23.4, 113, 23, 114, 24, '{"type":"Polygon","coordinates":[]}')`;
}

forEachBackend('migrations', (backend) => {
  let store: DataCenterDb;
  let db: Db;

  beforeAll(async () => {
    store = await backend.fresh({ migrate: false });
    db = store.db;
  });

  it('two runners at once apply each migration exactly once', async () => {
    expect(await appliedMigrations(db)).toEqual([]);
    const [a, b] = await Promise.all([migrate(db, migrations), migrate(db, migrations)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(migrations.map((m) => m.id));
    expect(a.current).toBe(migrations.length);
    expect((await appliedMigrations(db)).map((m) => m.id)).toEqual(migrations.map((m) => m.id));
  });

  it('running again applies nothing', async () => {
    expect(await migrate(db, migrations)).toEqual({ applied: [], current: migrations.length });
  });

  it('the migrated database has every table and column of schema.ts', async () => {
    for (const table of Object.values(schema)) {
      const config = getTableConfig(table);
      expect(await columnsOf(db, config.name), config.name).toEqual(config.columns.map((c) => c.name).sort());
    }
  });

  describe('0001 reference-data', () => {
    it('creates the reference tables and the meta row constraint', async () => {
      const tables = await rows<{ table_name: string }>(
        db,
        sql`select table_name from information_schema.tables where table_schema = current_schema() order by table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(['areas', 'grid_assignments', 'grid_workers', 'grids', 'meta', 'schema_migrations', 'units']),
      );
      await db.execute(sql`insert into meta (id, epoch) values (1, '00000000-0000-4000-8000-000000000001')`);
      await expectRefused(db, sql`insert into meta (id, epoch) values (2, '00000000-0000-4000-8000-000000000002')`, '23514');
      await db.execute(sql`delete from meta`);
    });

    it('keeps areas a tree of known levels and kinds', async () => {
      await db.execute(district);
      await expectRefused(
        db,
        sql`insert into areas (code, name, level, kind, parent_code, label_lon, label_lat, min_lon, min_lat, max_lon, max_lat, geometry, population)
          values ('440114001000', 't', 'town', 'town', '440999000000', 0, 0, 0, 0, 0, 0, '{}', 0)`,
        '23503',
      );
      await expectRefused(
        db,
        sql`insert into areas (code, name, level, kind, parent_code, label_lon, label_lat, min_lon, min_lat, max_lon, max_lat, geometry, population)
          values ('440114001000', 't', 'city', 'town', '440114', 0, 0, 0, 0, 0, 0, '{}', 0)`,
        '23514',
      );
      await expectRefused(
        db,
        sql`insert into areas (code, name, level, kind, parent_code, label_lon, label_lat, min_lon, min_lat, max_lon, max_lat, geometry, population)
          values ('4401140010', 't', 'town', 'town', '440114', 0, 0, 0, 0, 0, 0, '{}', 0)`,
        '23514',
      );
    });

    it('keeps grid validity ranges sane and one current version per code', async () => {
      await db.execute(gridRow('440114001001001', '2024-01-01', '2025-01-01'));
      await db.execute(gridRow('440114001001001', '2025-01-01', null));
      await expectRefused(db, gridRow('440114001001001', '2025-06-01', null), '23505');
      await expectRefused(db, gridRow('440114001001002', '2025-01-01', '2025-01-01'), '23514');
      await expectRefused(db, gridRow('44011400100100', '2025-01-01', null), '23514');
      const dates = await rows<{ valid_from: unknown }>(db, sql`select valid_from from grids order by valid_from`);
      expect(dates).toHaveLength(2);
    });

    it('ties assignments to known workers and units to known parents', async () => {
      await expectRefused(db, sql`insert into grid_assignments (grid_code, worker_id, position) values ('440114001001001', 'nobody', 0)`, '23503');
      await expectRefused(
        db,
        sql`insert into units (id, name, short_name, kind, area_code, parent_id, lon, lat, phone, sort_order) values ('u1', 'u', 'u', 'department', null, 'missing', 0, 0, '', 0)`,
        '23503',
      );
      await db.execute(sql`delete from grids`);
      await db.execute(sql`delete from areas`);
    });
  });

  describe('runner', () => {
    const broken: Migration = {
      id: migrations.length + 1,
      name: 'broken-test-only',
      statements: ['CREATE TABLE runner_probe (id integer)', 'THIS IS NOT SQL'],
    };

    it('rolls back a failing migration completely', async () => {
      await expect(migrate(db, [...migrations, broken])).rejects.toThrow();
      const probe = await rows<{ present: boolean }>(db, sql`select to_regclass('runner_probe') is not null as present`);
      expect(probe[0]?.present).toBe(false);
      expect((await appliedMigrations(db)).map((m) => m.id)).toEqual(migrations.map((m) => m.id));
    });

    it('applies only up to `to`, then the rest', async () => {
      const extra: Migration = { id: migrations.length + 1, name: 'extra-test-only', statements: ['CREATE TABLE runner_extra (id integer)'] };
      expect((await migrate(db, [...migrations, extra], { to: migrations.length })).applied).toEqual([]);
      expect((await migrate(db, [...migrations, extra])).applied).toEqual([extra.id]);
      // the database now knows a migration this build's list lacks: refuse to run on it
      const err = await migrate(db, migrations).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HuyingError);
      expect((err as HuyingError).message).toMatch(/newer than the code/);
      await db.execute(sql`drop table runner_extra`);
      await db.execute(sql`delete from schema_migrations where id = ${extra.id}`);
    });

    it('refuses an edited migration (checksum differs)', async () => {
      const edited = migrations.map((m, i) => (i === 0 ? { ...m, statements: [...m.statements, 'SELECT 1'] } : m));
      await expect(migrate(db, edited)).rejects.toThrow(/never edited/);
      expect(await migrate(db, migrations)).toEqual({ applied: [], current: migrations.length });
    });

    it('announces each pending migration before its first statement and after it committed, and nothing else', async () => {
      const fresh = (await backend.fresh({ migrate: false })).db;
      const heard: string[] = [];
      const onProgress = async (p: MigrationProgress) => {
        // what the database holds when the runner speaks: the migration is not there yet at start, committed at done
        const done = (await appliedMigrations(fresh)).map((m) => m.id);
        heard.push(`${p.phase} ${p.id} ${p.name} ${p.index}/${p.count} ${done.includes(p.id) ? 'in' : 'not in'} the database`);
        if (p.phase === 'done') {
          expect(p.applied).toBe(true);
          expect(p.ms).toBeGreaterThanOrEqual(0);
        }
      };
      expect((await migrate(fresh, migrations, { to: 2, onProgress })).applied).toEqual([1, 2]);
      expect(heard).toEqual([
        `start 1 ${migrations[0]!.name} 1/2 not in the database`,
        `done 1 ${migrations[0]!.name} 1/2 in the database`,
        `start 2 ${migrations[1]!.name} 2/2 not in the database`,
        `done 2 ${migrations[1]!.name} 2/2 in the database`,
      ]);

      // the rest: only the pending ones are announced, counted among themselves
      heard.length = 0;
      await migrate(fresh, migrations, { onProgress });
      expect(heard.filter((h) => h.startsWith('start'))).toEqual(
        migrations.slice(2).map((m, i) => `start ${m.id} ${m.name} ${i + 1}/${migrations.length - 2} not in the database`),
      );
      expect(heard).toHaveLength(2 * (migrations.length - 2));

      // nothing to do: nothing said
      heard.length = 0;
      await migrate(fresh, migrations, { onProgress });
      expect(heard).toEqual([]);

      // a failing migration was announced and never said done
      await expect(migrate(fresh, [...migrations, broken], { onProgress })).rejects.toThrow();
      expect(heard).toEqual([`start ${broken.id} ${broken.name} 1/1 not in the database`]);
    });

    it('rejects a list with gaps', async () => {
      await expect(migrate(db, [{ ...migrations[0]!, id: 2 }])).rejects.toThrow(/out of order/);
    });
  });

  it('openDatabase migrates and makes one meta row with an epoch that stays', async () => {
    const url = backend.kind === 'postgres' ? await backend.freshUrl() : undefined;
    const first = url ? await openDatabase({ pg: url }) : store;
    if (!url) {
      // the in-memory PGlite of this suite: finish it the way openDatabase would, twice
      await ensureMetaRow(db);
      await ensureMetaRow(db);
    }
    const metaRows = await rows<{ epoch: string }>(first.db, sql`select epoch::text as epoch from meta`);
    expect(metaRows).toHaveLength(1);
    expect(metaRows[0]!.epoch).toMatch(/^[0-9a-f-]{36}$/);
    if (url) {
      expect(first.migrations?.current).toBe(migrations.length);
      await first.close();
      const again = await openDatabase({ pg: url });
      expect(again.migrations?.applied).toEqual([]);
      expect(await rows<{ epoch: string }>(again.db, sql`select epoch::text as epoch from meta`)).toEqual(metaRows);
      await again.close();
    }
  });
});

describe('openDatabase errors', () => {
  it('reports an unreachable PostgreSQL as unavailable, without the password', async () => {
    const err = await openDatabase({ pg: 'postgres://someone:secret@127.0.0.1:1/nothing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HuyingError);
    expect((err as HuyingError).code).toBe('unavailable');
    expect((err as HuyingError).message).toContain('127.0.0.1:1');
    expect((err as HuyingError).message).not.toContain('secret');
  });
});
