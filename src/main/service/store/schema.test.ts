/**
 * The drizzle schema (schema.ts) and the numbered migrations agree: a replica
 * migrated through every migration has exactly the tables, columns, keys and
 * indexes (partial conditions included) that schema.ts declares — besides the
 * FTS index, which drizzle does not model. A migration that adds a table or an
 * index adds it to schema.ts too.
 */
import Database from 'better-sqlite3';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { describeDbTable, describeDrizzleTable, listDbTables } from './migrations/schema-compare';
import { schema } from './schema';

describe('schema.ts = the migrations', () => {
  const db = new Database(':memory:');
  migrate(db);

  it('has the tables of the drizzle schema and nothing else (besides the FTS index)', () => {
    const declared = Object.values(schema)
      .map((t) => getTableConfig(t as SQLiteTable).name)
      .sort();
    expect(listDbTables(db)).toEqual(declared);
  });

  for (const table of Object.values(schema) as SQLiteTable[]) {
    const name = getTableConfig(table).name;
    it(`table ${name}: columns, keys and indexes`, () => {
      expect(describeDbTable(db, name)).toEqual(describeDrizzleTable(table));
    });
  }
});
