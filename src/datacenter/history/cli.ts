/**
 * `npm run datacenter -- --history N [--days D] [--history-seed S] [--now ISO] [--no-change-log]
 * [--pg URL | --data DIR] [--seed demo|none]`: writes N past events into the data center's
 * database and exits — the same database options as a server (PGlite in `.data/datacenter` by
 * default, PostgreSQL with --pg or DATABASE_URL). An empty PGlite database is seeded with the demo
 * district first (as `npm run datacenter` would); PostgreSQL needs reference data already, or
 * `--seed demo`. Do not run it against a directory a running data center holds (the PGlite lock
 * refuses); on PostgreSQL it may run beside a server.
 *
 * Progress goes to stderr, the summary (one JSON line) to stdout. Exit codes: 0 done, 1 failed,
 * 2 bad arguments.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toRpcError } from '../../core/errors';
import { DEFAULT_DATA_DIR } from '../options';
import { seedDemo } from '../reference/seed';
import { openDatabase } from '../store/database';
import { generateHistory } from './generate';

export const HISTORY_USAGE = `usage: npm run datacenter -- --history N [--days D] [--history-seed S] [--now ISO] [--batch B] [--no-change-log]
                              [--pg URL | --data DIR] [--seed demo|none]

  --history N        number of past events to write (e.g. 100000 or 1e6)
  --days D           spread over the last D days (default 365)
  --history-seed S   random seed (default 1): the same seed, count, days and --now give the same events
  --now ISO          the end of the history (default: now)
  --batch B          events per transaction and sync version (default 2000)
  --no-change-log    write sync_rows only and raise the retention floor (clients re-snapshot)
  --pg URL / --data DIR / --seed demo|none   as for the data center`;

export interface HistoryCliOptions {
  count: number;
  days: number;
  seed: number;
  now: Date;
  batchSize: number;
  changeLog: boolean;
  pg?: string;
  dataDir?: string;
  seedDemo: boolean;
}

export function parseHistoryArgs(argv: readonly string[], env: Record<string, string | undefined>, clock = () => new Date()): { ok: true; options: HistoryCliOptions } | { ok: false; message: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        history: { type: 'string' },
        days: { type: 'string' },
        'history-seed': { type: 'string' },
        now: { type: 'string' },
        batch: { type: 'string' },
        'no-change-log': { type: 'boolean' },
        pg: { type: 'string' },
        data: { type: 'string' },
        seed: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const num = (name: string, fallback: number, min: number): number | string => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    return Number.isFinite(n) && Number.isInteger(n) && n >= min ? n : `--${name} must be a whole number ≥ ${min}, got "${String(raw)}"`;
  };
  const count = num('history', -1, 0);
  const days = num('days', 365, 1);
  const seed = num('history-seed', 1, 0);
  const batchSize = num('batch', 2000, 1);
  for (const v of [count, days, seed, batchSize]) if (typeof v === 'string') return { ok: false, message: v };
  if (count === -1) return { ok: false, message: '--history needs the number of events' };
  const now = values.now === undefined ? clock() : new Date(String(values.now));
  if (Number.isNaN(now.getTime())) return { ok: false, message: `--now must be an ISO 8601 instant, got "${String(values.now)}"` };
  if (values.pg !== undefined && values.data !== undefined) return { ok: false, message: '--pg and --data are exclusive' };
  const pg = (values.pg as string | undefined) ?? (values.data === undefined ? env.DATABASE_URL || undefined : undefined);
  if (pg !== undefined && !/^postgres(ql)?:\/\/.+/.test(pg)) return { ok: false, message: 'the PostgreSQL URL must start with postgres:// or postgresql://' };
  const seedValue = values.seed as string | undefined;
  if (seedValue !== undefined && seedValue !== 'demo' && seedValue !== 'none') return { ok: false, message: `--seed must be "demo" or "none", got "${seedValue}"` };
  return {
    ok: true,
    options: {
      count: count as number,
      days: days as number,
      seed: seed as number,
      now,
      batchSize: batchSize as number,
      changeLog: values['no-change-log'] !== true,
      ...(pg ? { pg } : { dataDir: path.resolve(String(values.data ?? DEFAULT_DATA_DIR)) }),
      seedDemo: seedValue === undefined ? !pg : seedValue === 'demo',
    },
  };
}

/** Runs the command; resolves with the exit code. */
export async function runHistoryCli(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const parsed = parseHistoryArgs(argv, env);
  if (!parsed.ok) {
    process.stderr.write(`huying datacenter: ${parsed.message}\n\n${HISTORY_USAGE}\n`);
    return 2;
  }
  const o = parsed.options;
  let store: Awaited<ReturnType<typeof openDatabase>> | null = null;
  try {
    store = await openDatabase(o.pg ? { pg: o.pg } : { dataDir: o.dataDir! });
    if (o.seedDemo) await seedDemo(store.db);
    let lastReport = 0;
    const result = await generateHistory(store.db, {
      count: o.count,
      days: o.days,
      seed: o.seed,
      now: o.now,
      batchSize: o.batchSize,
      changeLog: o.changeLog,
      onProgress: (p) => {
        if (p.ms - lastReport < 2000 && p.events < p.count) return;
        lastReport = p.ms;
        process.stderr.write(`history: ${p.events}/${p.count} events, ${p.auditRows} audit rows, ${Math.round(p.rows / (p.ms / 1000))} rows/s\n`);
      },
    });
    process.stdout.write(`${JSON.stringify({ msg: 'history written', db: store.kind, location: store.location, ...result })}\n`);
    return 0;
  } catch (err) {
    const e = toRpcError(err);
    process.stderr.write(`huying datacenter: history failed: ${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    await store?.close().catch(() => {});
  }
}
