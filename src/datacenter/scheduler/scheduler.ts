/**
 * The SLA scheduler: what happens to events when nobody acts. Every event row carries
 * `next_check_at`, the next instant something automatic may become due for it (core
 * `nextAutomaticCheckAt`: a clock entering its warning band or passing its deadline, an
 * escalation rung's countdown running out), kept up to date by every write of the event. A run
 * reads the events whose `next_check_at` has come (partial index, oldest first), and for each:
 *
 * - asks core `dueAutomaticCommands(event, now, ctx)`: raise supervision when a clock is overdue,
 *   climb the escalation ladder (四呼四应) when a rung's countdown ran out;
 * - when some are due, applies them in one replicated transaction through the workflow
 *   authority's own path (`applyEventCommand`), as `systemActor` — checked by `decide` and
 *   audited by 'system' like anyone's commands — which also recomputes `next_check_at`;
 * - when none are (a clock only entered its warning band, which every client derives from the
 *   clocks itself), moves `next_check_at` on without touching the replicated document: the
 *   column is the server's index, not part of the record, so no change-log version is spent.
 *
 * The clock is injected (`Clock`), so tests drive it across the real working calendar. Runs
 * happen on an interval (`start`) and on demand (`runOnce`); runs never overlap, and a second
 * data center on the same PostgreSQL is harmless (each event is re-read under its row lock and
 * a due command is issued once: supervision only goes up, the ladder only climbs).
 */
import { and, asc, eq, lte } from 'drizzle-orm';
import { dueAutomaticCommands, nextAutomaticCheckAt } from '../../core/workflow/automation';
import type { DomainConfig } from '../../core/workflow/domain-config';
import { systemActor } from '../../core/workflow/roles';
import type { WriteReplicated } from '../events/replication';
import { pgInstant } from '../events/rows';
import type { Db } from '../store/database';
import { events } from '../store/events-schema';
import { applyEventCommand } from '../workflow/authority';

/** The scheduler's notion of now (a fake in tests). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SlaSchedulerDeps {
  db: Db;
  writeReplicated: WriteReplicated;
  config: { current(): Promise<DomainConfig> };
  clock?: Clock;
  /** between interval runs; default 15 s */
  intervalMs?: number;
  /** events looked at per run at most; default 500 (a run with a full batch is followed at once by another) */
  batchSize?: number;
  /** when an event's next check would not move past now (a refused automatic command), look again this much later; default 60 s */
  retryMs?: number;
  logger?: SchedulerLogger | null;
}

export interface AutomaticCommandOutcome {
  eventId: string;
  caseNo: string;
  command: string;
  ok: boolean;
  /** the error code when refused */
  code?: string;
}

export interface SchedulerRun {
  /** the instant the run worked at */
  at: string;
  /** events whose check time had come */
  examined: number;
  commands: AutomaticCommandOutcome[];
  /** events that failed with an unexpected error (logged; looked at again after retryMs) */
  failed: number;
}

export interface SlaScheduler {
  /** One run at the clock's now; waits for a run in progress first (runs never overlap). */
  runOnce(): Promise<SchedulerRun>;
  /** Runs every `intervalMs` until stopped. */
  start(): void;
  /** Stops the interval and waits for a run in progress. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export function createSlaScheduler(deps: SlaSchedulerDeps): SlaScheduler {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;
  const intervalMs = deps.intervalMs ?? 15_000;
  const batchSize = deps.batchSize ?? 500;
  const retryMs = deps.retryMs ?? 60_000;
  const log = deps.logger ?? null;

  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let started = false;

  /** Moves next_check_at on without a replicated write, unless the row changed meanwhile. */
  async function reschedule(id: string, seen: string, next: Date | null): Promise<void> {
    await db
      .update(events)
      .set({ nextCheckAt: next?.toISOString() ?? null })
      .where(and(eq(events.id, id), eq(events.nextCheckAt, seen)));
  }

  async function processOne(id: string, seenCheckAt: string, now: Date, ctx: DomainConfig, run: SchedulerRun): Promise<void> {
    const [row] = await db.select({ doc: events.doc }).from(events).where(eq(events.id, id));
    if (!row) return;
    if (dueAutomaticCommands(row.doc.workflow, now, ctx).length === 0) {
      const next = nextAutomaticCheckAt(row.doc.workflow, now, ctx);
      await reschedule(id, seenCheckAt, next === null ? null : next.getTime() > now.getTime() ? next : new Date(now.getTime() + retryMs));
      return;
    }
    const { result } = await deps.writeReplicated(db, async (tx, out) => {
      const outcomes: AutomaticCommandOutcome[] = [];
      // re-read under the lock: a command or another scheduler may have acted meanwhile
      const [locked] = await tx.select({ doc: events.doc }).from(events).where(eq(events.id, id)).for('update');
      if (!locked) return outcomes;
      const actor = systemActor(locked.doc.workflow.area.districtCode);
      for (const command of dueAutomaticCommands(locked.doc.workflow, now, ctx)) {
        const r = await applyEventCommand(tx, out, { eventId: id, command, actor, now, ctx });
        outcomes.push(r.ok ? { eventId: id, caseNo: locked.doc.caseNo, command: command.type, ok: true } : { eventId: id, caseNo: locked.doc.caseNo, command: command.type, ok: false, code: r.error.code });
        if (!r.ok) log?.warn({ eventId: id, caseNo: locked.doc.caseNo, command: command.type, error: r.error }, 'automatic command refused');
      }
      // never leave an event due at or before now: that would spin
      const [after] = await tx.select({ nextCheckAt: events.nextCheckAt }).from(events).where(eq(events.id, id));
      const next = after?.nextCheckAt ? Date.parse(pgInstant(after.nextCheckAt)) : null;
      if (next !== null && next <= now.getTime()) {
        await tx.update(events).set({ nextCheckAt: new Date(now.getTime() + retryMs).toISOString() }).where(eq(events.id, id));
      }
      return outcomes;
    });
    run.commands.push(...result);
  }

  async function runNow(): Promise<SchedulerRun> {
    const now = clock();
    const run: SchedulerRun = { at: now.toISOString(), examined: 0, commands: [], failed: 0 };
    const ctx = await deps.config.current();
    const seen = new Set<string>();
    for (;;) {
      const due = await db
        .select({ id: events.id, nextCheckAt: events.nextCheckAt })
        .from(events)
        .where(lte(events.nextCheckAt, now.toISOString()))
        .orderBy(asc(events.nextCheckAt))
        .limit(batchSize);
      const fresh = due.filter((d) => !seen.has(d.id));
      for (const d of fresh) {
        seen.add(d.id);
        run.examined++;
        try {
          await processOne(d.id, d.nextCheckAt!, now, ctx, run);
        } catch (err) {
          run.failed++;
          log?.error({ err, eventId: d.id }, 'SLA scheduler could not process an event');
          await db
            .update(events)
            .set({ nextCheckAt: new Date(now.getTime() + retryMs).toISOString() })
            .where(and(eq(events.id, d.id), eq(events.nextCheckAt, d.nextCheckAt!)))
            .catch(() => {});
        }
      }
      // a full batch may hide more; an event seen twice in one run waits for the next run
      if (due.length < batchSize || fresh.length === 0) break;
    }
    if (run.commands.length > 0 || run.failed > 0) {
      log?.info({ at: run.at, examined: run.examined, commands: run.commands.length, failed: run.failed }, 'SLA scheduler run');
    }
    return run;
  }

  function runOnce(): Promise<SchedulerRun> {
    const next = chain.then(runNow, runNow);
    chain = next.catch(() => {});
    return next;
  }

  function schedule(): void {
    if (!started) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((err: unknown) => log?.error({ err }, 'SLA scheduler run failed'))
        .finally(schedule);
    }, intervalMs);
    timer.unref?.();
  }

  return {
    runOnce,
    start() {
      if (started) return;
      started = true;
      schedule();
    },
    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await chain;
    },
    get running() {
      return started;
    },
  };
}
