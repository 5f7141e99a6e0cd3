/**
 * Intake throughput: 12345 work orders with unique order numbers POSTed by concurrent senders with
 * the source's API key to a data center process, for a fixed time after a warm-up; the figure is
 * events accepted (201) per second.
 *
 * Baseline, same run, same database engine and concurrency: the rows one such intake writes,
 * inserted raw — per event one transaction that takes the sync version (the same single-row
 * upsert every replicated write queues on), bumps the day's case-number counter, and inserts the
 * events row (the real document of an event made by intake), its audit row, the two sync_rows and
 * two change_log rows, and the external-reference claim — with `pg` (a pool) or PGlite's own
 * client, no HTTP, no validation, no placement.
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { demoApiKey } from '../../src/datacenter/auth';
import { log, percentile, sleep } from './common';

const KEY = demoApiKey('hotline_12345');

export interface IntakeRun {
  eventsPerSecond: number;
  accepted: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU milliseconds per accepted event over the measured window, per meter asked for (`cpu`) */
  cpuMsPerEvent: Record<string, number>;
}

/** Named CPU meters (seconds used so far), e.g. the data center's process and PostgreSQL's. */
export type CpuMeters = Record<string, () => number>;

function cpuWindow(meters: CpuMeters | undefined): () => (events: number) => Record<string, number> {
  const read = () => Object.fromEntries(Object.entries(meters ?? {}).map(([k, f]) => [k, f()]));
  return () => {
    const before = read();
    return (events) => {
      const after = read();
      return Object.fromEntries(Object.keys(before).map((k) => [k, Math.round(((after[k]! - before[k]!) * 1000 * 100) / Math.max(events, 1)) / 100]));
    };
  };
}

export interface IntakeLoad {
  url: string;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  /** label points to place orders at (WGS84) */
  points: readonly [number, number][];
  tag: string;
  cpu?: CpuMeters;
}

export function hotlineOrder(n: number, tag: string, point: readonly [number, number]): string {
  // scattered around the point (±~300 m), as real orders are: the near-duplicate search sees a realistic neighbourhood
  const jitter = (k: number) => (((n * 2654435761 + k * 97) >>> 0) / 2 ** 32 - 0.5) * 0.006;
  return JSON.stringify({
    orderNo: `BENCH-${tag}-${n}`,
    appealType: '投诉',
    content: `第${n}号：夜间施工噪音扰民，影响休息`,
    classification: '噪声扰民',
    longitude: Math.round((point[0] + jitter(1)) * 1e6) / 1e6,
    latitude: Math.round((point[1] + jitter(2)) * 1e6) / 1e6,
    coordinateSystem: 'wgs84',
    acceptedAt: new Date(Date.now() - 30_000).toISOString(),
    caller: { name: '陈先生', phone: '13800001111' },
  });
}

/** What PostgreSQL's backends of a database wait on, sampled every 100 ms while `during` runs: share per wait. */
export async function sampleWaits<T>(pgUrl: string, during: Promise<T>): Promise<{ result: T; waits: Record<string, number> }> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const counts: Record<string, number> = {};
  let total = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const r = await client.query(
        `SELECT state, coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-') AS w FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      for (const x of r.rows as { state: string; w: string }[]) {
        const k = `${x.state} ${x.w}`;
        counts[k] = (counts[k] ?? 0) + 1;
        total++;
      }
      await sleep(100);
    }
  })();
  try {
    const result = await during;
    return { result, waits: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Math.round((v / Math.max(total, 1)) * 100) / 100])) };
  } finally {
    done = true;
    await sampler;
    await client.end();
  }
}

/** Sustained intake over HTTP. */
export async function runIntakeLoad(load: IntakeLoad): Promise<IntakeRun> {
  let n = 0;
  const sender = async (t: Tally) => {
    while (!t.stop) {
      const i = n++;
      const body = hotlineOrder(i, load.tag, load.points[i % load.points.length]!);
      const t0 = performance.now();
      try {
        const res = await fetch(`${load.url}/api/v1/intake/hotline_12345`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body });
        await res.arrayBuffer();
        if (t.measuring) {
          if (res.status === 201) {
            t.accepted++;
            t.latencies.push(performance.now() - t0);
          } else t.errors++;
        }
      } catch {
        if (t.measuring) t.errors++;
      }
    }
  };
  return sustain(load, sender);
}

/**
 * Sustained bulk intake: the same 12345 work orders, `batch` per request to
 * `POST /api/v1/intake/hotline_12345/bulk`, from `concurrency` senders; the figure is orders
 * answered `created` per second (latency: per request).
 */
export async function runBulkIntakeLoad(load: IntakeLoad & { batch: number }): Promise<IntakeRun> {
  let n = 0;
  const sender = async (t: Tally) => {
    while (!t.stop) {
      const items = Array.from({ length: load.batch }, () => {
        const i = n++;
        return hotlineOrder(i, load.tag, load.points[i % load.points.length]!);
      });
      const t0 = performance.now();
      try {
        const res = await fetch(`${load.url}/api/v1/intake/hotline_12345/bulk`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: `{"items":[${items.join(',')}]}` });
        const body = (await res.json()) as { value?: { created: number } };
        if (t.measuring) {
          const created = res.status === 200 ? (body.value?.created ?? 0) : 0;
          t.accepted += created;
          t.errors += load.batch - created;
          t.latencies.push(performance.now() - t0);
        }
      } catch {
        if (t.measuring) t.errors += load.batch;
      }
    }
  };
  return sustain(load, sender);
}

/** What the raw baseline needs: something that runs a list of statements in one transaction. */
interface RawClient {
  transaction(statements: { text: string; params: unknown[] }[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * One intake's rows, raw, from a template event document and audit entry. `counters: false` leaves
 * out the two single-row counters every intake updates (the sync version and the day's case
 * number): what the same rows cost without the serialisation they impose.
 */
function rawIntakeStatements(templateDoc: Record<string, unknown>, templateAudit: Record<string, unknown>, n: number, tag: string, counters = true): { text: string; params: unknown[] }[] {
  const id = randomUUID();
  const refId = `RAW-${tag}-${n}`;
  const caseNo = `RW${tag}${n}`;
  const doc = JSON.stringify({ ...templateDoc, id, caseNo, externalRef: { system: '12345', id: refId } });
  const audit = JSON.stringify({ ...templateAudit, eventId: id });
  const now = new Date().toISOString();
  // without the version row, a transaction still needs a version of its own for change_log's key
  const V = counters ? '(SELECT v FROM sync_version WHERE id = 1)' : 'txid_current()';
  return [
    ...(counters
      ? [
          { text: `INSERT INTO sync_version (id, v) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = sync_version.v + 1 RETURNING v`, params: [] },
          { text: `INSERT INTO case_no_counters (day, last) VALUES ($1, 1) ON CONFLICT (day) DO UPDATE SET last = case_no_counters.last + 1 RETURNING last`, params: [`raw${tag}`] },
        ]
      : []),
    { text: `INSERT INTO external_refs (system, ref_id, source, payload_hash) VALUES ('12345', $1, 'hotline_12345', 'x') ON CONFLICT DO NOTHING`, params: [refId] },
    {
      text: `INSERT INTO events (id, case_no, v, scope, doc, status, source, category, town, village, grid, urgency, supervision_level, reported_at, created_at, updated_at, lon, lat, geo_cell, external_system, external_id, intake)
             VALUES ($1, $2, ${V}, '440114001000', $3::jsonb, 'reported', 'hotline_12345', '0702', '440114001000', '440114001001', '440114001001001', 'normal', 0, $4, $4, $4, 113.22, 23.39, 1134011322, '12345', $5,
                     '{"placement":"point","sourceCategory":"噪声扰民","appealType":"complaint","sourceClocks":[],"sourceFields":{}}'::jsonb)`,
      params: [id, caseNo, doc, now, refId],
    },
    { text: `INSERT INTO audit (event_id, seq, v, scope, doc, at, command, actor_id) VALUES ($1, 1, ${V}, '440114001000', $2::jsonb, $3, 'report', 'source:hotline_12345')`, params: [id, audit, now] },
    {
      text: `INSERT INTO sync_rows (table_name, key, scope, v, row) VALUES ('events', $1, '440114001000', ${V}, $2::jsonb), ('audit', $1 || ':1', '440114001000', ${V}, $3::jsonb)`,
      params: [id, doc, audit],
    },
    {
      text: `INSERT INTO change_log (v, seq, table_name, key, op, scope, row) VALUES (${V}, 0, 'events', $1, 'upsert', '440114001000', $2::jsonb), (${V}, 1, 'audit', $1 || ':1', 'upsert', '440114001000', $3::jsonb)`,
      params: [id, doc, audit],
    },
    { text: `UPDATE external_refs SET event_id = $1, case_no = $2, created_at = now() WHERE system = '12345' AND ref_id = $3`, params: [id, caseNo, refId] },
  ];
}

export function pgRawClient(url: string, connections: number): RawClient {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  return {
    async transaction(statements) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        for (const s of statements) await c.query(s.text, s.params);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

export function pgliteRawClient(client: PGlite): RawClient {
  return {
    async transaction(statements) {
      await client.transaction(async (tx) => {
        for (const s of statements) await tx.query(s.text, s.params);
      });
    },
    close: async () => {},
  };
}

/** The raw baseline at the same concurrency, for the same time. */
export async function runRawIntake(
  client: RawClient,
  template: { doc: Record<string, unknown>; audit: Record<string, unknown> },
  opts: { concurrency: number; warmupSeconds: number; seconds: number; tag: string; counters?: boolean; cpu?: CpuMeters },
): Promise<IntakeRun> {
  let n = 0;
  let logged = 0;
  const worker = async (t: Tally) => {
    while (!t.stop) {
      const statements = rawIntakeStatements(template.doc, template.audit, n++, opts.tag, opts.counters ?? true);
      const t0 = performance.now();
      try {
        await client.transaction(statements);
        if (t.measuring) {
          t.accepted++;
          t.latencies.push(performance.now() - t0);
        }
      } catch (err) {
        if (t.measuring) t.errors++;
        if (logged++ < 3) log(`raw intake failed: ${(err as Error).message}`);
      }
      // PGlite answers in microtasks only: let timers (the end of the measurement) run
      await new Promise((r) => setImmediate(r));
    }
  };
  return sustain(opts, worker);
}

/** What one sustained run counts; its senders read `measuring` and `stop` and add to the rest. */
interface Tally {
  measuring: boolean;
  stop: boolean;
  accepted: number;
  errors: number;
  latencies: number[];
}

/** Runs `concurrency` senders: a warm-up, then the measured window of `seconds` (CPU meters around it), then stops them. */
async function sustain(opts: { concurrency: number; warmupSeconds: number; seconds: number; cpu?: CpuMeters }, send: (t: Tally) => Promise<void>): Promise<IntakeRun> {
  const t: Tally = { measuring: false, stop: false, accepted: 0, errors: 0, latencies: [] };
  const senders = Array.from({ length: opts.concurrency }, () => send(t));
  await sleep(opts.warmupSeconds * 1000);
  const cpu = cpuWindow(opts.cpu)();
  t.measuring = true;
  const t0 = performance.now();
  await sleep(opts.seconds * 1000);
  t.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpuMsPerEvent = cpu(t.accepted);
  t.stop = true;
  await Promise.all(senders);
  const { accepted, errors, latencies } = t;
  return { eventsPerSecond: accepted / seconds, accepted, errors, seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpuMsPerEvent };
}
