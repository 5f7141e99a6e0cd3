/**
 * Migration 0001 creates exactly the tables, columns, keys and indexes that
 * the drizzle schema (../schema.ts) declares, and the constraints hold.
 */
import Database from 'better-sqlite3';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { schema } from '../schema';
import { migration0001 } from './0001-reference-data';

function migrated() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, [migration0001]);
  return db;
}

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

describe('migration 0001 reference-data', () => {
  const db = migrated();

  it('creates the tables of the drizzle schema and nothing else', () => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name").pluck().all();
    const declared = Object.values(schema)
      .map((t) => getTableConfig(t as SQLiteTable).name)
      .sort();
    expect(tables).toEqual(declared);
  });

  for (const table of Object.values(schema) as SQLiteTable[]) {
    const config = getTableConfig(table);
    it(`table ${config.name}: columns, primary key, foreign keys and indexes match the schema`, () => {
      const columns = db.prepare(`PRAGMA table_info(${config.name})`).all() as ColumnInfo[];
      const compositePk = config.primaryKeys[0]?.columns.map((c) => c.name) ?? [];
      expect(columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1, pk: c.pk > 0 })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        config.columns
          .map((c) => ({ name: c.name, type: c.getSQLType().toUpperCase(), notNull: c.notNull, pk: c.primary || compositePk.includes(c.name) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      );

      const fks = (db.prepare(`PRAGMA foreign_key_list(${config.name})`).all() as { table: string; from: string; to: string; on_delete: string }[])
        .map((f) => `${f.from}->${f.table}.${f.to}:${f.on_delete.toLowerCase()}`)
        .sort();
      const declaredFks = config.foreignKeys
        .map((fk) => {
          const ref = fk.reference();
          return `${ref.columns[0]!.name}->${getTableConfig(ref.foreignTable).name}.${ref.foreignColumns[0]!.name}:${fk.onDelete ?? 'no action'}`;
        })
        .sort();
      expect(fks).toEqual(declaredFks);

      const indexes = (db.prepare(`PRAGMA index_list(${config.name})`).all() as { name: string; origin: string }[])
        .filter((i) => i.origin === 'c')
        .map((i) => `${i.name}(${(db.prepare(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map((c) => c.name).join(',')})`)
        .sort();
      const declaredIndexes = config.indexes.map((i) => `${i.config.name}(${i.config.columns.map((c) => (c as { name: string }).name).join(',')})`).sort();
      expect(indexes).toEqual(declaredIndexes);
    });
  }

  it('enforces the foreign keys: a grid in an unknown village is refused', () => {
    expect(() =>
      db
        .prepare(
          "INSERT INTO grids (code, name, kind, village_code, town_code, label_lon, label_lat, geometry, valid_from) VALUES ('440114001001001', 'g', 'rural', '440114001001', '440114001000', 0, 0, '{}', '2024-01-01')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  it('drops a grid’s worker links with the grid', () => {
    db.exec(`
      INSERT INTO areas VALUES ('440114', 'd', 'district', 'district', NULL, 0, 0, '[]', '{}', 0);
      INSERT INTO areas VALUES ('440114001000', 't', 'town', 'town', '440114', 0, 0, '[]', '{}', 0);
      INSERT INTO areas VALUES ('440114001001', 'v', 'village', 'village', '440114001000', 0, 0, '[]', '{}', 0);
      INSERT INTO grids VALUES ('440114001001001', 'g', 'rural', '440114001001', '440114001000', 0, 0, '{}', '2024-01-01', NULL);
      INSERT INTO workers VALUES ('w', 'n', 'p');
      INSERT INTO grid_workers VALUES ('440114001001001', 'w', 0);
      DELETE FROM grids;
    `);
    expect(db.prepare('SELECT count(*) FROM grid_workers').pluck().get()).toBe(0);
  });
});
