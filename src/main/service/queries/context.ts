/**
 * What every query handler shares: the replica connection with a cache of
 * prepared statements (filters produce a handful of distinct SQL shapes, each
 * prepared once), "now" from the service's clock, the replica's checkpoint,
 * the signed-in officer, and the replicated domain configuration compiled
 * once per version (the working calendar that clocks are read with, the
 * taxonomy that names categories).
 *
 * Results that do not depend on the time of day (totals of a filter, the
 * history behind a KPI) are memoised against `total_changes()`: the sync
 * client, the outbox and these queries share one connection, so any write to
 * the replica changes that number and drops the memo. A virtualized table
 * scrolling through 10,000 rows asks for many windows of one filter; the
 * total is counted once.
 */
import type Database from 'better-sqlite3';
import {
  compileCalendar,
  indexTaxonomy,
  parseCalendarData,
  parseTaxonomy,
  type TaxonomyIndex,
  type WorkingCalendar,
} from '../../../core/index';
import type { SessionUser } from '../../../core/rpc/session';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { ReferenceView } from '../reference/reference-view';
import type { Replica } from '../store/open';
import { ftsBuiltThrough } from '../store/replica-writes';
import { readSyncState } from '../store/sync-state';

export interface QueryDeps {
  replica: Replica;
  clock: Clock;
  /** the replicated reference data in memory (areas, grids), shared with areas/tree and grids/geometry */
  reference: ReferenceView;
  /** the officer signed in on this desktop, null when nobody is */
  user(): SessionUser | null;
  log?: Logger;
}

/** The calendar used when the replica holds none yet: weekends off, 09:00–12:00 and 14:00–18:00, UTC+8. */
const FALLBACK_CALENDAR = fallbackCalendar();

function fallbackCalendar(): WorkingCalendar {
  const parsed = parseCalendarData({
    id: 'fallback',
    name: 'fallback (no calendar replicated yet)',
    timeZone: 'Asia/Shanghai',
    utcOffsetMinutes: 480,
    weekendDays: [6, 7],
    workingHours: [
      { start: '09:00', end: '12:00' },
      { start: '14:00', end: '18:00' },
    ],
    years: [2000],
    holidays: [],
    makeUpWorkdays: [],
  });
  if (!parsed.ok) throw new Error(`the fallback calendar does not parse: ${parsed.error.message}`);
  return compileCalendar(parsed.value);
}

type Bind = Record<string, unknown>;

export class QueryContext {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly memo = new Map<string, { changes: number; value: unknown }>();
  private changesStmt: Database.Statement | null = null;
  /** the replica's connection generation the caches above belong to (store/connection.ts) */
  private generation = -1;
  private config: { key: string; calendar: WorkingCalendar; taxonomy: TaxonomyIndex | null } | null = null;

  constructor(readonly deps: QueryDeps) {}

  /**
   * The replica's current connection. After a replica image was renamed into place the connection is a new one:
   * the statement cache and the memo (whose `total_changes()` is per connection) are dropped with the old one.
   */
  get sqlite(): Database.Database {
    const { replica } = this.deps;
    if (this.generation !== replica.generation) {
      this.statements.clear();
      this.memo.clear();
      this.changesStmt = null;
      this.generation = replica.generation;
    }
    return replica.sqlite;
  }

  /** ms since the epoch, from the service's clock */
  now(): number {
    return this.deps.clock.now();
  }

  /** The replica version answers are read at (0 before the first snapshot). */
  checkpoint(): number {
    return readSyncState(this.sqlite)?.cursor.v ?? 0;
  }

  /** How far the FTS index of the last snapshot is built (null: complete); text search reads the rest with LIKE. */
  ftsThrough(): number | null {
    return ftsBuiltThrough(this.sqlite);
  }

  /** A prepared statement per distinct SQL text (filters make few shapes); the cache is bounded. */
  stmt(sql: string): Database.Statement {
    const sqlite = this.sqlite;
    let s = this.statements.get(sql);
    if (!s) {
      if (this.statements.size > 500) this.statements.clear();
      s = sqlite.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  all<T>(sql: string, bind: Bind = {}): T[] {
    return this.stmt(sql).all(bind) as T[];
  }

  get<T>(sql: string, bind: Bind = {}): T | undefined {
    return this.stmt(sql).get(bind) as T | undefined;
  }

  /** A number that changes whenever anything writes to the replica. */
  changes(): number {
    const sqlite = this.sqlite;
    this.changesStmt ??= sqlite.prepare('SELECT total_changes()').pluck();
    return this.changesStmt.get() as number;
  }

  /** `compute()` once per replica state and key (only for answers that do not depend on the time). */
  memoise<T>(key: string, compute: () => T): T {
    const changes = this.changes();
    const hit = this.memo.get(key);
    if (hit && hit.changes === changes) return hit.value as T;
    const value = compute();
    if (this.memo.size > 200) this.memo.clear();
    this.memo.set(key, { changes: this.changes(), value });
    return value;
  }

  /** The replicated working calendar and taxonomy, compiled once per version of their rows. */
  domain(): { calendar: WorkingCalendar; taxonomy: TaxonomyIndex | null; calendarVersion: number } {
    const rows = this.all<{ key: string; v: number; doc: string }>("SELECT key, v, doc FROM config WHERE key IN ('calendar', 'taxonomy')");
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const key = rows.map((r) => `${r.key}@${r.v}`).sort().join(',');
    if (this.config?.key !== key) {
      let calendar = FALLBACK_CALENDAR;
      const cal = byKey.get('calendar');
      if (cal) {
        const parsed = parseCalendarData(JSON.parse(cal.doc));
        if (parsed.ok) calendar = compileCalendar(parsed.value);
        else this.deps.log?.warn({ reason: parsed.error.message.slice(0, 300) }, 'the replicated calendar does not parse; clocks are read with the fallback calendar');
      }
      let taxonomy: TaxonomyIndex | null = null;
      const tax = byKey.get('taxonomy');
      if (tax) {
        const parsed = parseTaxonomy(JSON.parse(tax.doc));
        if (parsed.ok) taxonomy = indexTaxonomy(parsed.value);
      }
      this.config = { key, calendar, taxonomy };
    }
    return { calendar: this.config.calendar, taxonomy: this.config.taxonomy, calendarVersion: byKey.get('calendar')?.v ?? 0 };
  }
}

/** `IN (@p0, @p1, …)` for a list, with its bindings under `prefix`. */
export function inList(prefix: string, values: readonly unknown[], bind: Bind): string {
  const names = values.map((v, i) => {
    bind[`${prefix}${i}`] = v;
    return `@${prefix}${i}`;
  });
  return `(${names.join(', ')})`;
}
