import { describe, expect, it } from 'vitest';
import { assertMigrationList } from '../store/migration';
import { migrations } from '../store/migrations';
import { externalRefs, intakeQuarantine } from '../store/intake-schema';
import { INTAKE_MIGRATION_STATEMENTS, withIntakeMigration } from './pending-migration';

describe('intake migration (0004, pending its place in the list)', () => {
  it('is exactly what drizzle-kit generates for intake-schema.ts', async () => {
    const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
    const empty = generateDrizzleJson({});
    const generated = await generateMigration(empty, generateDrizzleJson({ externalRefs, intakeQuarantine }, empty.id));
    expect(INTAKE_MIGRATION_STATEMENTS).toEqual(generated.map((s) => s.trim()));
  });

  it('appends as the next id, once', () => {
    const list = withIntakeMigration(migrations);
    expect(() => assertMigrationList(list)).not.toThrow();
    expect(withIntakeMigration(list)).toEqual(list);
  });
});
