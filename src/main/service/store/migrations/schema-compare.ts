/**
 * For the migration tests: describes the tables of a SQLite database and of
 * drizzle table objects in one comparable shape (columns with type, NOT NULL
 * and primary key; foreign keys; created indexes with their columns and
 * partial-index condition), so a test can say "the migrations create exactly
 * what schema.ts declares".
 */
import type Database from 'better-sqlite3';
import { getTableConfig, SQLiteSyncDialect, type SQLiteTable } from 'drizzle-orm/sqlite-core';

export interface TableShape {
  columns: { name: string; type: string; notNull: boolean; pk: boolean }[];
  foreignKeys: string[];
  indexes: string[];
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
const normWhere = (s: string) => s.replace(/["`]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();

export function describeDbTable(db: Database.Database, table: string): TableShape {
  const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[])
    .map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1, pk: c.pk > 0 }))
    .sort(byName);
  const foreignKeys = (db.prepare(`PRAGMA foreign_key_list(${table})`).all() as { table: string; from: string; to: string; on_delete: string }[])
    .map((f) => `${f.from}->${f.table}.${f.to}:${f.on_delete.toLowerCase()}`)
    .sort();
  const indexes = (db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; origin: string; partial: number }[])
    .filter((i) => i.origin === 'c')
    .map((i) => {
      const cols = (db.prepare(`PRAGMA index_info(${i.name})`).all() as { name: string }[]).map((c) => c.name).join(',');
      let where = '';
      if (i.partial) {
        const sql = db.prepare('SELECT sql FROM sqlite_master WHERE type = ? AND name = ?').pluck().get('index', i.name) as string;
        where = ` where ${normWhere(sql.slice(sql.toUpperCase().lastIndexOf(' WHERE ') + 7))}`;
      }
      return `${i.name}(${cols})${where}`;
    })
    .sort();
  return { columns, foreignKeys, indexes };
}

export function describeDrizzleTable(table: SQLiteTable): TableShape {
  const config = getTableConfig(table);
  const dialect = new SQLiteSyncDialect();
  const compositePk = config.primaryKeys[0]?.columns.map((c) => c.name) ?? [];
  const columns = config.columns
    .map((c) => ({ name: c.name, type: c.getSQLType().toUpperCase(), notNull: c.notNull, pk: c.primary || compositePk.includes(c.name) }))
    .sort(byName);
  const foreignKeys = config.foreignKeys
    .map((fk) => {
      const ref = fk.reference();
      return `${ref.columns[0]!.name}->${getTableConfig(ref.foreignTable).name}.${ref.foreignColumns[0]!.name}:${fk.onDelete ?? 'no action'}`;
    })
    .sort();
  const indexes = config.indexes
    .map((i) => {
      const cols = i.config.columns.map((c) => (c as { name: string }).name).join(',');
      const where = i.config.where ? ` where ${normWhere(dialect.sqlToQuery(i.config.where).sql)}` : '';
      return `${i.config.name}(${cols})${where}`;
    })
    .sort();
  return { columns, foreignKeys, indexes };
}

/** Ordinary tables of the database, without the migration ledger, SQLite's own and FTS shadow tables. */
export function listDbTables(db: Database.Database): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
      .pluck()
      .all() as string[]
  ).filter((n) => !/_fts(_\w+)?$/.test(n));
}
