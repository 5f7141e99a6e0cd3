/**
 * drizzle-kit configuration for the data center's PostgreSQL schema.
 * `npx drizzle-kit generate --name <what>` writes plain SQL into
 * src/datacenter/store/drizzle/; `npx tsx src/datacenter/store/sync-migrations.ts`
 * then turns it into the numbered TypeScript migrations the app bundles
 * (src/datacenter/store/migrations/). See docs/datacenter.md.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // every schema module of the data center; tests/integration/datacenter/migration-files.test.ts reads this list too
  schema: ['./src/datacenter/store/schema.ts', './src/datacenter/store/events-schema.ts', './src/datacenter/store/auth-schema.ts', './src/datacenter/store/sync-schema.ts', './src/datacenter/store/intake-schema.ts'],
  out: './src/datacenter/store/drizzle',
  strict: true,
  verbose: true,
});
