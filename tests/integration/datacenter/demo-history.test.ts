/**
 * `--demo-history N` (what `npm start` and `npm run web` give their embedded data center): the
 * first start of a demo writes N past events of the last 30 days with the district, so the desks
 * and the wall open on a district at work; a second start on the same database keeps what is there
 * and writes nothing more. On embedded PGlite, as the demo runs.
 */
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { DEMO_HISTORY_DAYS, startDataCenter } from '../../../src/datacenter/server';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';

let store: DataCenterDb | null = null;
afterAll(async () => {
  await store?.close();
});

it('writes the demo history on the first start only, open and closed events of the last 30 days', async () => {
  store = await openDatabase({});
  const count = async () => rowsOf<{ n: number; open: number; oldest: string }>(
    await store!.db.execute(sql`select count(*)::int as n, count(*) filter (where status not in ('closed', 'evaluated', 'rejected', 'merged', 'cancelled'))::int as open, min(created_at)::text as oldest from events`),
  )[0]!;
  const t0 = Date.now();
  const first = await startDataCenter({ port: 0, database: store, seed: 'demo', demoHistory: 300, slaScheduler: false });
  await first.close();
  const after = await count();
  expect(after.n).toBe(300);
  expect(after.open).toBeGreaterThan(0);
  expect(after.open).toBeLessThan(300);
  const oldest = Date.parse(after.oldest.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
  expect(oldest).toBeGreaterThanOrEqual(t0 - (DEMO_HISTORY_DAYS + 1) * 86_400_000);

  const second = await startDataCenter({ port: 0, database: store, seed: 'demo', demoHistory: 300, slaScheduler: false });
  await second.close();
  expect((await count()).n).toBe(300);
}, 180_000);
