/**
 * The simulator against a real store (PGlite and PostgreSQL) with a fake clock: arrivals go
 * through the real intake (events created with their sources' references, spoiled payloads in
 * quarantine, retries answered as duplicates), people act through the command endpoint's
 * processing (stored per client and mutation id, acknowledged), the SLA scheduler runs on the
 * simulated clock, a triggered rainstorm floods the low-lying grids. The same seed gives the same
 * run; `start()` follows the wall clock × speed; a data center started with `simulate` serves the
 * admin routes.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../../src/datacenter/auth';
import { seedDemo } from '../../../src/datacenter/reference/seed';
import { startDataCenter } from '../../../src/datacenter/server';
import { createSimulator, type Simulator, type SimulatorStats } from '../../../src/datacenter/simulator';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { forEachBackend } from './backends';

/** Monday 2026-06-08 08:00 in China */
const START = new Date('2026-06-08T00:00:00.000Z');
const HOUR = 3_600_000;

async function signature(store: DataCenterDb): Promise<unknown[]> {
  const events = rowsOf<{ case_no: string; source: string; external_id: string | null; status: string; category: string | null; grid: string | null; id: string }>(
    await store.db.execute(sql`select id, case_no, source, external_id, status, category, grid from events order by case_no`),
  );
  const audit = rowsOf<{ event_id: string; seq: number; command: string; at: string; actor_id: string }>(
    await store.db.execute(sql`select event_id, seq, command, at::text as at, actor_id from audit order by event_id, seq`),
  );
  const byEvent = new Map<string, string[]>();
  for (const a of audit) byEvent.set(a.event_id, [...(byEvent.get(a.event_id) ?? []), `${a.seq}:${a.command}@${a.at}/${a.actor_id}`]);
  return events.map((e) => [e.case_no, e.source, e.external_id, e.status, e.category, e.grid, byEvent.get(e.id)]);
}

forEachBackend('simulator', (backend) => {
  let store: DataCenterDb;
  let sim: Simulator;
  let beforeStorm: SimulatorStats;
  let after: SimulatorStats;
  let storm: { start: Date; end: Date };
  const warnings: string[] = [];
  const logger = { info: () => {}, warn: (o: object, msg: string) => warnings.push(`${msg}: ${String((o as { err?: unknown }).err)}`) };
  const rows = async <T>(q: ReturnType<typeof sql>) => rowsOf<T>(await store.db.execute(q));

  beforeAll(async () => {
    store = await backend.fresh();
    await seedDemo(store.db);
    sim = await createSimulator({ db: store.db, seed: 42, ratePerHour: 12, start: START, badShare: 0.05, retryShare: 0.1, scheduler: true, logger });
    beforeStorm = await sim.runFor(5 * HOUR);
    storm = sim.triggerRainstorm({ durationMinutes: 60, peakPerHour: 80 });
    after = await sim.runFor(3 * HOUR);
  }, 600_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('sends every arrival through intake: events with their sources, spoiled payloads quarantined, retries answered as duplicates', async () => {
    expect(after.now).toBe(new Date(START.getTime() + 8 * HOUR).toISOString());
    expect(beforeStorm.arrivals).toBeGreaterThan(40);
    expect(after.intakeErrors, warnings.slice(0, 3).join('\n')).toBe(0);
    const [{ n }] = (await rows<{ n: number }>(sql`select count(*)::int as n from events`)) as [{ n: number }];
    expect(n).toBe(after.created);
    expect(after.created).toBe(after.arrivals);
    const sources = await rows<{ source: string }>(sql`select distinct source from events`);
    expect(sources.length).toBeGreaterThanOrEqual(5);
    const [q] = await rows<{ n: number; sources: number }>(sql`select count(*)::int as n, count(distinct source)::int as sources from intake_quarantine where status = 'pending'`);
    expect(q!.n).toBe(after.quarantined);
    expect(q!.n).toBeGreaterThan(0);
    expect(after.duplicates).toBeGreaterThan(0);
    const [dup] = await rows<{ n: number }>(sql`select count(*)::int as n from (select external_system, external_id from events where external_id is not null group by 1, 2 having count(*) > 1) d`);
    expect(dup!.n).toBe(0);
    // everything reported during the simulated window, stamped with simulated time
    const [span] = await rows<{ first: string; last: string }>(sql`select min(created_at)::text as first, max(created_at)::text as last from events`);
    expect(Date.parse(span!.first.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'))).toBeGreaterThanOrEqual(START.getTime());
    expect(Date.parse(span!.last.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'))).toBeLessThanOrEqual(START.getTime() + 8 * HOUR);
  });

  it('acts through the command endpoint as the right people: stored per client and mutation, applied and audited', async () => {
    const [m] = await rows<{ n: number; applied: number; clients: number }>(
      sql`select count(*)::int as n, count(*) filter (where status = 'applied')::int as applied, count(distinct client_id)::int as clients from client_mutations where client_id like 'simulator:%'`,
    );
    expect(m!.n).toBe(after.commands);
    expect(m!.applied).toBe(Object.values(after.applied).reduce((s, x) => s + x, 0));
    expect(m!.applied / m!.n).toBeGreaterThan(0.95);
    expect(m!.clients).toBeGreaterThan(5);
    const commands = new Set((await rows<{ command: string }>(sql`select distinct command from audit`)).map((r) => r.command));
    for (const c of ['report', 'verify', 'file', 'dispatch', 'sign', 'start', 'handle', 'bounce', 'request_check', 'check_pass', 'close']) expect(commands.has(c), c).toBe(true);
    const units = await rows<{ bad: number }>(sql`
      select count(*)::int as bad from audit a join events e on e.id = a.event_id
      where a.command in ('sign', 'start', 'handle', 'bounce') and a.doc->>'role' <> 'unit_operator'`);
    expect(units[0]!.bad).toBe(0);
    expect(after.schedulerRuns).toBeGreaterThanOrEqual(90);
  });

  it('one-key calls take over the walls, and the simulated duty officer acknowledges each within minutes', async () => {
    // ten more simulated minutes, so that every alert raised in the run has had its time
    const more = await sim.runFor(10 * 60_000);
    const alerts = (await rows<{ row: unknown }>(sql`select row::jsonb as row from sync_rows where table_name = 'wall' and key like 'alert:%'`)).map(
      (r) => (typeof r.row === 'string' ? JSON.parse(r.row) : r.row) as { kind: string; raisedAt: string; ackedAt: string | null; ackedBy: { id: string } | null },
    );
    const [{ n }] = (await rows<{ n: number }>(sql`select count(*)::int as n from events where source = 'one_key' or urgency = 'critical'`)) as [{ n: number }];
    expect(n, 'one-key calls and critical events in the run').toBeGreaterThan(0);
    expect(alerts).toHaveLength(n);
    const end = Date.parse(more.now);
    let acked = 0;
    for (const a of alerts) {
      // acknowledged 20 s to 4 min after the raise (unless the run ended before)
      if (Date.parse(a.raisedAt) + 4 * 60_000 > end) continue;
      expect(a.ackedAt, JSON.stringify(a)).not.toBeNull();
      const delay = Date.parse(a.ackedAt!) - Date.parse(a.raisedAt);
      expect(delay).toBeGreaterThanOrEqual(20_000);
      expect(delay).toBeLessThanOrEqual(4 * 60_000 + 60_000);
      expect(a.ackedBy).not.toBeNull();
      acked++;
    }
    expect(acked).toBeGreaterThan(0);
    expect(more.applied['wall/ack'] ?? 0).toBe(acked);
  });

  it('a rainstorm brings a burst of flooding reports in the low-lying grids', async () => {
    const low = new Set(sim.world.lowGrids.map((g) => g.code));
    const floods = await rows<{ grid: string | null; reported_at: string }>(sql`
      select grid, reported_at::text as reported_at from events
      where category = '0802' and created_at >= ${storm.start.toISOString()} and created_at < ${storm.end.toISOString()}`);
    expect(floods.length).toBeGreaterThan(15);
    expect(floods.filter((f) => f.grid && low.has(f.grid)).length / floods.length).toBeGreaterThan(0.5);
    const [before] = await rows<{ n: number }>(sql`select count(*)::int as n from events where category = '0802' and created_at < ${storm.start.toISOString()}`);
    expect(before!.n).toBeLessThan(floods.length / 3);
  });

  if (backend.kind !== 'postgres') return;

  describe('repeatable and live', () => {
    it('the same seed and clock give the same run, step for step', async () => {
      const runs: unknown[][] = [];
      for (let i = 0; i < 2; i++) {
        const db = await backend.fresh();
        await seedDemo(db.db);
        const s = await createSimulator({ db: db.db, seed: 7, ratePerHour: 15, start: START, scheduler: true });
        await s.runFor(4 * HOUR);
        await s.stop();
        runs.push(await signature(db));
      }
      expect(runs[0]!.length).toBeGreaterThan(30);
      expect(runs[1]).toEqual(runs[0]);
    }, 300_000);

    it('start() follows the wall clock times the speed', async () => {
      let wall = 1_000_000;
      const s = await createSimulator({ db: store.db, seed: 8, ratePerHour: 6, speed: 3600, start: new Date(START.getTime() + 10 * HOUR), wallClock: () => wall, tickMs: 20, adopt: false });
      s.start();
      wall += 2000; // two real seconds = two simulated hours
      const deadline = Date.now() + 60_000;
      while (Date.parse(s.stats().now) < START.getTime() + 12 * HOUR && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await s.stop();
      expect(s.stats().now).toBe(new Date(START.getTime() + 12 * HOUR).toISOString());
      expect(s.stats().arrivals).toBeGreaterThan(0);
    }, 120_000);

    it('a data center started with simulate runs it and serves its admin routes', async () => {
      const db = await backend.fresh();
      const dc = await startDataCenter({ port: 0, seed: 'demo', database: db, slaScheduler: false, simulate: { ratePerHour: 3600, speed: 1, seed: 3 } });
      try {
        expect(dc.simulator?.running).toBe(true);
        const login = await fetch(`${dc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: DEMO_PASSWORD }) });
        const token = ((await login.json()) as { value: { accessToken: string } }).value.accessToken;
        const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const rain = await fetch(`${dc.url}/api/v1/admin/simulator/rainstorm`, { method: 'POST', headers: auth, body: JSON.stringify({ durationMinutes: 30, peakPerHour: 7200 }) });
        expect(rain.status).toBe(200);
        const deadline = Date.now() + 60_000;
        let stats: SimulatorStats | null = null;
        while (Date.now() < deadline) {
          const res = await fetch(`${dc.url}/api/v1/admin/simulator`, { headers: auth });
          stats = ((await res.json()) as { value: { stats: SimulatorStats } }).value.stats;
          if (stats.created >= 3) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(stats!.created).toBeGreaterThanOrEqual(3);
        expect(stats!.storms).toBe(1);
        const anonymous = await fetch(`${dc.url}/api/v1/admin/simulator`);
        expect(anonymous.status).toBe(401);
      } finally {
        await dc.close();
      }
    }, 120_000);
  });
});
