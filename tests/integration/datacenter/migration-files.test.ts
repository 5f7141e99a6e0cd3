/**
 * The migrations the app runs are exactly drizzle-kit's output for schema.ts:
 * every generated SQL file has its TypeScript module (unchanged since), and
 * schema.ts has no change that lacks a migration.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import drizzleConfig from '../../../drizzle.config';
import { assertMigrationList } from '../../../src/datacenter/store/migration';
import { migrations } from '../../../src/datacenter/store/migrations';
import { DRIZZLE_DIR, moduleName, splitStatements, syncMigrations } from '../../../src/datacenter/store/sync-migrations';

describe('migrations', () => {
  it('are numbered 1..n with unique names', () => {
    expect(() => assertMigrationList(migrations)).not.toThrow();
    expect(migrations.length).toBeGreaterThan(0);
  });

  it('match the drizzle-kit SQL they were generated from', () => {
    expect(syncMigrations({ check: true }).problems).toEqual([]);
  });

  it('cover every change in schema.ts (drizzle-kit finds nothing left to generate)', async () => {
    const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
    const journal = JSON.parse(readFileSync(path.join(DRIZZLE_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
    const last = journal.entries.at(-1)!;
    const snapshot = JSON.parse(readFileSync(path.join(DRIZZLE_DIR, 'meta', `${String(last.idx).padStart(4, '0')}_snapshot.json`), 'utf8'));
    // the tables of every schema module drizzle-kit generates from
    const tables: Record<string, unknown> = {};
    const modules = 'schema' in drizzleConfig ? [drizzleConfig.schema ?? []].flat() : [];
    expect(modules.length).toBeGreaterThan(0);
    for (const file of modules) {
      const mod = (await import(path.resolve(__dirname, '../../..', file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) if (is(value, PgTable)) tables[name] = value;
    }
    const current = generateDrizzleJson(tables, snapshot.id);
    expect(await generateMigration(snapshot, current)).toEqual([]);
  });

  it('split drizzle SQL on its breakpoints and number from 1', () => {
    expect(splitStatements('CREATE TABLE a (x int);\n--> statement-breakpoint\nCREATE INDEX i ON a (x);--> statement-breakpoint\n')).toEqual([
      'CREATE TABLE a (x int);',
      'CREATE INDEX i ON a (x);',
    ]);
    expect(moduleName(0, '0000_reference-data')).toEqual({ id: 1, name: 'reference-data', file: '0001-reference-data.ts' });
    expect(() => moduleName(1, '0001_Bad Name')).toThrow(/kebab-case/);
  });
});
