/**
 * Migration 0001 as it shipped: the first cut's typed reference tables
 * (0002 replaces them), with their keys and constraints.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { migration0001 } from './0001-reference-data';
import { describeDbTable, listDbTables } from './schema-compare';

function migrated() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, [migration0001]);
  return db;
}

describe('migration 0001 reference-data', () => {
  const db = migrated();

  it('creates the reference tables and the sync state', () => {
    expect(listDbTables(db)).toEqual(['areas', 'grid_workers', 'grids', 'sync_state', 'units', 'workers']);
    expect(describeDbTable(db, 'grids').columns.map((c) => c.name)).toEqual(
      ['code', 'geometry', 'kind', 'label_lat', 'label_lon', 'name', 'town_code', 'valid_from', 'valid_to', 'village_code'],
    );
    expect(describeDbTable(db, 'grid_workers').foreignKeys).toEqual(['grid_code->grids.code:cascade', 'worker_id->workers.id:no action']);
    expect(describeDbTable(db, 'sync_state').columns.map((c) => c.name)).toEqual(['scope', 'synced_at', 'version']);
  });

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
