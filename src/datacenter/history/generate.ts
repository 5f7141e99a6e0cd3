/**
 * The history generator: `count` past events over the last `days` days, with complete,
 * consistent workflow documents and audit trails (evolve.ts), written in large versions through
 * the replication log's tables (bulk.ts) — for benchmarks (10^5, 10^6 events), for the wall's
 * heat maps and playback, and for indicators with a year behind them.
 *
 * ```ts
 * const r = await generateHistory(store.db, { count: 100_000, days: 365, seed: 7 });
 * // r.events, r.auditRows, r.ms, r.rowsPerSecond, r.versions
 * ```
 *
 * The database needs reference data (the demo seed or an imported district); the domain
 * configuration is loaded (bundled documents) when it is missing. The same seed, count, days and
 * `now` give the same events (ids, payloads, trails) on any engine; case numbers follow whatever
 * the per-day counters already hold.
 *
 * Speed: building the events (adapters, placement, `decide`) runs in Node while PostgreSQL writes
 * the previous batch — the producer yields to the event loop every few dozen events so the two
 * overlap. PGlite runs in this thread, so there they take turns.
 */
import { sql } from 'drizzle-orm';
import { flattenTaxonomy } from '../../core/taxonomy/tree';
import type { DomainConfig } from '../../core/workflow/domain-config';
import type { EventStatus } from '../../core/workflow/states';
import { createDomainConfigService } from '../config/service';
import type { PlacementReference } from '../intake/reference';
import type { Db } from '../store/database';
import { rowsOf } from '../store/migration';
import { writeReplicated } from '../sync/write';
import { createSimActors, loadSimAccounts } from '../simulator/actors';
import { historyArrivals } from '../simulator/arrivals';
import { runTag } from '../simulator/payloads';
import { loadSimWorld } from '../simulator/world';
import { writeHistoryBatch, type BulkStep } from './bulk';
import { createEvolveContext, evolveEvent, type EvolvedEvent } from './evolve';

export interface HistoryOptions {
  /** how many events */
  count: number;
  /** spread over the last `days` days (default 365) */
  days?: number;
  /** default 1 */
  seed?: number;
  /** the end of the history (default: now); steps after it have not happened yet */
  now?: Date;
  /** events per transaction and version (default 2,000) */
  batchSize?: number;
  /**
   * Also log every row in `change_log` (default true), as writeReplicated does. With false only
   * `sync_rows` gets them and the retention floor moves past the history: about a third less to
   * write, and clients re-snapshot instead of replaying the log.
   */
  changeLog?: boolean;
  /** called after each batch */
  onProgress?: (progress: HistoryProgress) => void;
}

export interface HistoryProgress {
  events: number;
  auditRows: number;
  rows: number;
  ms: number;
  count: number;
}

export interface HistoryResult {
  events: number;
  auditRows: number;
  /** rows written across events, audit, external_refs, sync_rows and change_log */
  rows: number;
  ms: number;
  eventsPerSecond: number;
  rowsPerSecond: number;
  /** the versions the history was written as (null when count is 0) */
  versions: { first: number; last: number } | null;
  /** final status of the events */
  byStatus: Partial<Record<EventStatus, number>>;
  /** events that were supervised (by the scheduler's replay or an officer) */
  supervised: number;
  /** commands the behaviour planned that decide refused (a bug if not 0) */
  refused: number;
  /** arrivals whose payload the adapter refused (a bug if not 0) */
  skipped: number;
  from: string;
  to: string;
  /** Node time spent building events (adapters, placement, decide), ms */
  buildMs: number;
  /** time per write step summed over the batches, ms (bulk.ts) */
  writeMs: Record<BulkStep, number>;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function generateHistory(db: Db, opts: HistoryOptions): Promise<HistoryResult> {
  const t0 = performance.now();
  const count = Math.max(0, Math.floor(opts.count));
  const days = opts.days ?? 365;
  const seed = opts.seed ?? 1;
  const now = opts.now ?? new Date();
  const batchSize = Math.max(1, opts.batchSize ?? 2000);
  const changeLog = opts.changeLog ?? true;

  const config = createDomainConfigService({ db, writeReplicated: (d, work) => writeReplicated(d, work) });
  await config.ensureLoaded();
  const ctx: DomainConfig = await config.current();
  const world = await loadSimWorld(db, seed);
  const reference: PlacementReference = { locator: world.locator, districtCode: world.districtCode, version: null };
  const names = new Map(flattenTaxonomy(ctx.taxonomy).map((n) => [n.node.code, n.node.name]));
  const knownUnits = new Set(world.units.keys());
  const e = createEvolveContext({
    seed,
    tag: `H${runTag(seed, now.getTime())}`,
    now,
    ctx,
    world,
    reference,
    categories: config.categories,
    names,
    actors: createSimActors(world, await loadSimAccounts(db)),
    behaviour: { ctx, units: knownUnits },
  });

  const result: HistoryResult = {
    events: 0,
    auditRows: 0,
    rows: 0,
    ms: 0,
    eventsPerSecond: 0,
    rowsPerSecond: 0,
    versions: null,
    byStatus: {},
    supervised: 0,
    refused: 0,
    skipped: 0,
    from: new Date(now.getTime() - days * 86_400_000).toISOString(),
    to: now.toISOString(),
    buildMs: 0,
    writeMs: { version: 0, serialise: 0, events: 0, audit: 0, refs: 0, syncRows: 0, changeLog: 0, commit: 0 },
  };

  let writing: Promise<void> = Promise.resolve();
  let failed: unknown = null;
  const write = (batch: EvolvedEvent[]) => {
    writing = writing.then(async () => {
      if (failed) return;
      try {
        const r = await writeHistoryBatch(db, batch, { changeLog, caseNoPrefix: 'HD' });
        result.events += r.events;
        result.auditRows += r.auditRows;
        result.rows += r.rows;
        for (const [k, ms] of Object.entries(r.stepMs) as [BulkStep, number][]) result.writeMs[k] += ms;
        result.versions = result.versions ? { first: result.versions.first, last: r.v } : { first: r.v, last: r.v };
        opts.onProgress?.({ events: result.events, auditRows: result.auditRows, rows: result.rows, ms: performance.now() - t0, count });
      } catch (err) {
        failed = err;
      }
    });
  };

  let batch: EvolvedEvent[] = [];
  let index = 0;
  for (const time of historyArrivals({ seed, count, days, now, calendar: ctx.calendar })) {
    if (failed) break;
    const b0 = performance.now();
    const evolved = evolveEvent(time, index++, e);
    result.buildMs += performance.now() - b0;
    if (!evolved) {
      result.skipped++;
      continue;
    }
    result.refused += evolved.refused;
    const status = evolved.record.workflow.status;
    result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
    if (evolved.record.workflow.supervision) result.supervised++;
    batch.push(evolved);
    if (batch.length >= batchSize) {
      // at most one batch queued behind the one being written: bounded memory
      await writing;
      write(batch);
      batch = [];
    }
    if (index % 50 === 0) await yieldToLoop();
  }
  if (batch.length > 0 && !failed) write(batch);
  await writing;
  if (failed) throw failed;
  if (result.events > 0) await db.execute(sql`ANALYZE events`).catch(() => {});

  result.ms = performance.now() - t0;
  result.eventsPerSecond = result.events / (result.ms / 1000);
  result.rowsPerSecond = result.rows / (result.ms / 1000);
  return result;
}

/** Rows per table after a generation (for reports and tests). */
export async function historyTableCounts(db: Db): Promise<Record<string, number>> {
  const [r] = rowsOf<Record<string, string | number>>(
    await db.execute(sql`SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM audit) AS audit,
      (SELECT count(*) FROM sync_rows) AS sync_rows, (SELECT count(*) FROM change_log) AS change_log, (SELECT count(*) FROM external_refs) AS external_refs`),
  );
  return Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, Number(v)]));
}
