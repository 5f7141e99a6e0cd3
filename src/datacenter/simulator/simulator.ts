/**
 * The simulator: a district's day played against a data center, through the same paths real
 * traffic takes.
 *
 * - Arrivals (arrivals.ts, model.ts) become payloads in each source's own format (payloads.ts)
 *   and go through the real intake service — adapter validation, coordinate conversion, grid
 *   placement, near-duplicates, the external-reference claim, quarantine. About one in a hundred
 *   is spoiled on purpose and lands in quarantine; a few are sent twice, as a retrying system
 *   does, and come back as duplicates.
 * - What people do next (behaviour.ts) goes through the command endpoint's own processing
 *   (`processCommands`: exactly-once per client and mutation id, the `event/command` handler,
 *   `applyEventCommand`, `decide`), as the actor of the right role (actors.ts), so every step is
 *   role- and scope-checked and audited, and acknowledged in the sync feed like a desktop's.
 * - The SLA scheduler runs on the simulated clock every five simulated minutes (by default when
 *   the speed is above 1×; at 1× the data center's own scheduler sees the same times).
 *
 * Time: the simulation has its own clock. `runUntil(t)` processes everything due up to t in
 * order, each step stamped with its own instant — tests drive it with a fake clock and get the
 * same run for the same seed. `start()` follows the wall clock × `speed` (1× to 3600×): at 1×
 * simulated time is the real time; above, it starts at the real time and runs ahead, and every
 * timestamp the simulator writes (reports, commands, clocks) is simulated time.
 *
 * Rates: `ratePerHour` is the mean number of arrivals per simulated hour over an ordinary working
 * day (the time-of-day profile shapes it: nights about a tenth, the morning peak about twice).
 * Per real second that is ratePerHour × speed / 3600. `triggerRainstorm()` adds a burst.
 */
import { alertForEvent, registerWallHandlers } from '../wall';
import { eq, sql } from 'drizzle-orm';
import type { EventRecord } from '../../core/events/types';
import { HuyingError } from '../../core/errors';
import { flattenTaxonomy } from '../../core/taxonomy/tree';
import type { CommandInput } from '../../core/workflow/commands';
import type { DomainConfig } from '../../core/workflow/domain-config';
import { OPEN_STATES } from '../../core/workflow/states';
import { MutationRegistry } from '../commands/registry';
import { processCommands } from '../commands/process';
import { createDomainConfigService, type DomainConfigService } from '../config/service';
import { createEventsStore } from '../events/store';
import type { WriteReplicated } from '../events/replication';
import { createPlacementReferenceCache } from '../intake/reference';
import { createIntakeService, type IntakeOutcome, type IntakeService } from '../intake/service';
import { createSlaScheduler, type SlaScheduler } from '../scheduler/scheduler';
import type { Db } from '../store/database';
import { events } from '../store/events-schema';
import { syncClients } from '../store/sync-schema';
import { writeReplicated } from '../sync/write';
import { createTxPlacementReference } from '../workflow/manual-intake';
import { eventCommandHandler } from '../workflow/mutations';
import { createSimActors, loadSimAccounts, type SimActors } from './actors';
import { arrivalTables, createArrivalStream, createStormStream, describeArrival, type ArrivalStream, type ArrivalTables, type ArrivalTime, type Storm } from './arrivals';
import { drawTraits, nextAction, type BehaviourContext, type EventTraits, type PlannedAction } from './behaviour';
import { badPayload, buildPayload, runTag, type CategoryNames, type SimPayload } from './payloads';
import { freshSeed, simStream, type SimRandom } from './random';
import { loadSimWorld, type SimWorld } from './world';

const MIN = 60_000;

/** The default mean arrivals per simulated hour (a district of about a million people). */
export const DEFAULT_RATE_PER_HOUR = 30;
export const MAX_SPEED = 3600;

export interface SimulatorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SimulatorOptions {
  db: Db;
  /** mean arrivals per simulated hour over an ordinary working day (default 30) */
  ratePerHour?: number;
  /** simulated seconds per real second, 1–3600 (default 1); only `start()` uses it */
  speed?: number;
  /** default: a fresh one (logged) */
  seed?: number;
  /** simulated time at the start (default: the wall clock's now) */
  start?: Date;
  /** the wall clock for `start()` (tests may fake it), ms */
  wallClock?: () => number;
  /** share of arrivals also sent spoiled (→ quarantine), default 0.01 */
  badShare?: number;
  /** share of payloads sent a second time a few minutes later (→ duplicate), default 0.02 */
  retryShare?: number;
  /** run the SLA scheduler on the simulated clock (default: when speed > 1) */
  scheduler?: boolean;
  /** simulated minutes between scheduler runs (default 5) */
  schedulerEveryMinutes?: number;
  /** pick up open events already in the store at start (default true) */
  adopt?: boolean;
  /** real ms between catch-up ticks in `start()` (default 250) */
  tickMs?: number;
  /** real ms between progress lines in the log while started (default 60 s) */
  logEveryMs?: number;
  logger?: SimulatorLogger | null;
}

export interface SimulatorStats {
  /** simulated now */
  now: string;
  arrivals: number;
  created: number;
  duplicates: number;
  quarantined: number;
  /** intake refusals that were not meant (a 409 while a first copy is being entered, …) */
  intakeErrors: number;
  commands: number;
  /** commands applied, by type */
  applied: Record<string, number>;
  /** commands refused, by error code (another actor or the scheduler got there first) */
  refused: Record<string, number>;
  schedulerRuns: number;
  /** automatic commands the scheduler issued (supervision, ladder climbs) */
  automatic: number;
  storms: number;
  /** events the simulator is following */
  following: number;
  /** how far the live loop is behind the wall clock × speed, simulated ms */
  lagMs: number;
}

export interface RainstormOptions {
  /** default 180 */
  durationMinutes?: number;
  /** extra reports per simulated hour at the peak (default max(3 × rate, 30)) */
  peakPerHour?: number;
  /** simulated minutes from now until it starts (default 0) */
  startsInMinutes?: number;
}

export interface Simulator {
  readonly seed: number;
  readonly ratePerHour: number;
  readonly speed: number;
  /** the simulated clock */
  now(): Date;
  /** follows the wall clock × speed until stopped */
  start(): void;
  stop(): Promise<void>;
  readonly running: boolean;
  /** processes, in order, everything due up to `at` (simulated); the clock ends at `at` */
  runUntil(at: Date): Promise<SimulatorStats>;
  /** runUntil(now + ms) */
  runFor(ms: number): Promise<SimulatorStats>;
  triggerRainstorm(options?: RainstormOptions): Storm;
  stats(): SimulatorStats;
  /** the intake service and scheduler it drives (tests) */
  readonly intake: IntakeService;
  readonly scheduler: SlaScheduler;
  readonly world: SimWorld;
}

type Item =
  | { kind: 'arrival'; at: number; seq: number; time: ArrivalTime; stream: 'main' | number }
  | { kind: 'resend'; at: number; seq: number; payload: SimPayload }
  | { kind: 'action'; at: number; seq: number; eventId: string; action: PlannedAction }
  | { kind: 'scheduler'; at: number; seq: number }
  /** the duty officer acknowledges a wall alert (一键呼叫, critical events) from the workstation */
  | { kind: 'wall-ack'; at: number; seq: number; alertId: string };

/** A binary min-heap on (at, seq): ties in arrival order, so runs are reproducible. */
class Queue {
  private readonly heap: Item[] = [];
  get size(): number {
    return this.heap.length;
  }
  peek(): Item | undefined {
    return this.heap[0];
  }
  push(item: Item): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Item | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
/** An item before it gets its sequence number. */
type NewItem = Item extends infer I ? (I extends Item ? Omit<I, 'seq'> : never) : never;

const less = (a: Item, b: Item) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

interface Followed {
  traits: EventTraits;
  rng: SimRandom;
  /** consecutive refusals; the simulator lets an event go after three */
  refusals: number;
}

/** Parses `--simulate` values: `120` (per hour at 1×), `60x` (speed, default rate), `120@60x` (both). */
export function parseSimulateArg(text: string): { ok: true; ratePerHour: number; speed: number } | { ok: false; message: string } {
  const refuse = { ok: false as const, message: `--simulate takes RATE (events per hour at 1×, e.g. 120), SPEEDx (e.g. 60x) or RATE@SPEEDx (e.g. 120@60x); got "${text}"` };
  const parts = text.trim().toLowerCase().split('@');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) return refuse;
  let rate: string | undefined;
  let speedText: string | undefined;
  if (parts.length === 2) [rate, speedText] = parts as [string, string];
  else if (parts[0]!.endsWith('x')) speedText = parts[0];
  else rate = parts[0];
  const number = /^\d+(\.\d+)?$/;
  const r = rate?.trim().replace(/\/h$/, '');
  const s = speedText?.trim();
  if (r !== undefined && !number.test(r)) return refuse;
  if (s !== undefined && !(s.endsWith('x') && number.test(s.slice(0, -1)))) return refuse;
  const ratePerHour = r !== undefined ? Number(r) : DEFAULT_RATE_PER_HOUR;
  const speed = s !== undefined ? Number(s.slice(0, -1)) : 1;
  if (!(ratePerHour > 0) || ratePerHour > 100_000) return { ok: false, message: `--simulate: the rate must be above 0 and at most 100000 events per hour, got ${ratePerHour}` };
  if (!(speed >= 1) || speed > MAX_SPEED) return { ok: false, message: `--simulate: the speed must be from 1x to ${MAX_SPEED}x, got ${speed}x` };
  return { ok: true, ratePerHour, speed };
}

/** A registry with the workflow's `event/command` handler (errors as data → thrown, as the endpoint wants). */
function commandRegistry(config: DomainConfigService): MutationRegistry {
  const registry = new MutationRegistry();
  const handler = eventCommandHandler({ config, reference: createTxPlacementReference(), categories: config.categories });
  registry.register('event/command', async (tx, out, mutation, actor, now) => {
    const r = await handler(tx, out, mutation, actor, now);
    if (!r.ok) throw new HuyingError(r.error.code, r.error.message, r.error.details);
    return r.value;
  });
  registerWallHandlers(registry);
  return registry;
}

export async function createSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const { db } = opts;
  const seed = opts.seed ?? freshSeed();
  const ratePerHour = opts.ratePerHour ?? DEFAULT_RATE_PER_HOUR;
  const speed = Math.min(Math.max(opts.speed ?? 1, 1), MAX_SPEED);
  const wall = opts.wallClock ?? (() => Date.now());
  const log = opts.logger ?? null;
  const badShare = opts.badShare ?? 0.01;
  const retryShare = opts.retryShare ?? 0.02;
  const schedulerOn = opts.scheduler ?? speed > 1;
  const schedulerEvery = (opts.schedulerEveryMinutes ?? 5) * MIN;
  const tickMs = opts.tickMs ?? 250;

  let simNow = (opts.start ?? new Date(wall())).getTime();
  const clock = () => new Date(simNow);
  const write: WriteReplicated = (d, work) => writeReplicated(d, work);

  const config = createDomainConfigService({ db, writeReplicated: write, clock });
  await config.ensureLoaded();
  let ctx: DomainConfig = await config.current();
  const world = await loadSimWorld(db, seed);
  const tables: ArrivalTables = arrivalTables(world);
  const names: CategoryNames = new Map(flattenTaxonomy(ctx.taxonomy).map((n) => [n.node.code, n.node.name]));
  const actors: SimActors = createSimActors(world, await loadSimAccounts(db));
  const behaviour = (): BehaviourContext => ({ ctx, units: new Set(world.units.keys()) });
  let bctx = behaviour();

  const eventsStore = createEventsStore({ db, writeReplicated: write, config, clock });
  const reference = createPlacementReferenceCache(db, { clock });
  const intake = createIntakeService({ db, sink: eventsStore, reference: reference.get, clock, categories: config.categories });
  const scheduler = createSlaScheduler({ db, writeReplicated: write, config, clock });
  const registry = commandRegistry(config);
  const tag = runTag(seed, simNow);

  const stats: Omit<SimulatorStats, 'now' | 'following'> = {
    arrivals: 0,
    created: 0,
    duplicates: 0,
    quarantined: 0,
    intakeErrors: 0,
    commands: 0,
    applied: {},
    refused: {},
    schedulerRuns: 0,
    automatic: 0,
    storms: 0,
    lagMs: 0,
  };
  const followed = new Map<string, Followed>();
  const queue = new Queue();
  let seq = 0;
  const push = (item: NewItem) => queue.push({ ...item, seq: seq++ } as Item);

  const main: ArrivalStream = createArrivalStream({ seed, ratePerHour, start: new Date(simNow), calendar: ctx.calendar });
  const storms = new Map<number, ReturnType<typeof createStormStream>>();
  let arrivalIndex = 0;
  const first = main.next();
  push({ kind: 'arrival', at: first.at.getTime(), time: first, stream: 'main' });
  if (schedulerOn) push({ kind: 'scheduler', at: simNow + schedulerEvery });

  // mutation ids per simulated client, continuing where an earlier run left off
  const lastMutation = new Map<string, number>();
  async function nextMutationId(clientId: string): Promise<number> {
    let last = lastMutation.get(clientId);
    if (last === undefined) {
      const [row] = await db.select({ last: syncClients.lastMutationId }).from(syncClients).where(eq(syncClients.clientId, clientId));
      last = row?.last ?? 0;
    }
    lastMutation.set(clientId, last + 1);
    return last + 1;
  }

  async function readRecord(eventId: string): Promise<EventRecord | null> {
    const [row] = await db.select({ doc: events.doc }).from(events).where(eq(events.id, eventId));
    return row?.doc ?? null;
  }

  function plan(eventId: string, record: EventRecord, f: Followed): void {
    const action = nextAction(record, f.traits, f.rng, new Date(simNow), bctx);
    if (!action) {
      followed.delete(eventId);
      return;
    }
    push({ kind: 'action', at: Math.max(action.at.getTime(), simNow + 1000), eventId, action });
  }

  async function submit(payload: SimPayload): Promise<IntakeOutcome | null> {
    try {
      return await intake.submit(payload.path, payload.body, { remoteAddress: 'simulator' });
    } catch (err) {
      stats.intakeErrors++;
      log?.warn({ err, path: payload.path, externalRef: payload.externalRef }, 'simulated intake refused');
      return null;
    }
  }

  async function onArrival(item: Extract<Item, { kind: 'arrival' }>): Promise<void> {
    const index = arrivalIndex++;
    stats.arrivals++;
    const rng = simStream(seed, `event:${index}`);
    const facts = describeArrival(item.time, index, rng, world, tables);
    const payload = buildPayload(facts, rng, { names, districtCode: world.districtCode, tag });
    if (rng.chance(badShare)) {
      const bad = badPayload(payload, rng, item.time.at);
      const outcome = await submit(bad.payload);
      if (outcome?.kind === 'invalid') stats.quarantined++;
    }
    const outcome = await submit(payload);
    if (outcome?.kind === 'created') {
      stats.created++;
      const record = await readRecord(outcome.eventId);
      if (record) {
        const f: Followed = {
          traits: drawTraits(rng, { source: record.source, outsideDistrict: record.outsideDistrict, aiAlarm: facts.source === 'ai_camera' }, facts.categoryCode),
          rng,
          refusals: 0,
        };
        followed.set(record.id, f);
        plan(record.id, record, f);
      }
      if (payload.externalRef && rng.chance(retryShare)) push({ kind: 'resend', at: simNow + rng.int(1, 10) * MIN, payload });
      // the call took over the walls: someone at a workstation acknowledges it within a few minutes
      const alert = record ? alertForEvent(record, new Date(simNow)) : null;
      if (alert) push({ kind: 'wall-ack', at: simNow + rng.int(20, 240) * 1000, alertId: alert.id });
    } else if (outcome?.kind === 'duplicate') stats.duplicates++;
    else if (outcome?.kind === 'invalid') stats.quarantined++;
    // the next arrival of the same stream
    if (item.stream === 'main') {
      const next = main.next();
      push({ kind: 'arrival', at: next.at.getTime(), time: next, stream: 'main' });
    } else {
      const next = storms.get(item.stream)?.next();
      if (next) push({ kind: 'arrival', at: next.at.getTime(), time: next, stream: item.stream });
      else storms.delete(item.stream);
    }
  }

  async function onAction(item: Extract<Item, { kind: 'action' }>): Promise<void> {
    const f = followed.get(item.eventId);
    if (!f) return;
    const { action } = item;
    const actor = actors.actor(action.role, action.unitId);
    const clientId = `simulator:${actor.id}`;
    const mutationId = await nextMutationId(clientId);
    stats.commands++;
    const command: CommandInput = action.command;
    let ack;
    try {
      const res = await processCommands(
        db,
        { clientId, mutations: [{ mutationId, createdAt: new Date(simNow).toISOString(), mutation: { name: 'event/command', eventId: item.eventId, command } }] },
        actor,
        { registry, now: clock, onHandlerError: (err) => log?.warn({ err, eventId: item.eventId, command: command.type }, 'simulated command failed') },
      );
      ack = res.results[0];
    } catch (err) {
      // a busy database: try again in a simulated minute
      log?.warn({ err, eventId: item.eventId }, 'simulated command not processed; retrying');
      lastMutation.delete(clientId);
      push({ kind: 'action', at: simNow + MIN, eventId: item.eventId, action });
      return;
    }
    const record = await readRecord(item.eventId);
    if (ack?.status === 'applied') {
      stats.applied[command.type] = (stats.applied[command.type] ?? 0) + 1;
      f.refusals = 0;
    } else {
      const code = ack?.error?.code ?? 'unknown';
      stats.refused[code] = (stats.refused[code] ?? 0) + 1;
      if (++f.refusals >= 3) {
        followed.delete(item.eventId);
        return;
      }
    }
    if (record) plan(item.eventId, record, f);
    else followed.delete(item.eventId);
  }

  async function onWallAck(item: Extract<Item, { kind: 'wall-ack' }>): Promise<void> {
    const actor = actors.actor('duty');
    const clientId = `simulator:${actor.id}`;
    const mutationId = await nextMutationId(clientId);
    stats.commands++;
    try {
      const res = await processCommands(
        db,
        { clientId, mutations: [{ mutationId, createdAt: new Date(simNow).toISOString(), mutation: { name: 'wall/ack', alertId: item.alertId } }] },
        actor,
        { registry, now: clock, onHandlerError: (err) => log?.warn({ err, alertId: item.alertId }, 'simulated wall acknowledgement failed') },
      );
      const ack = res.results[0];
      if (ack?.status === 'applied') stats.applied['wall/ack'] = (stats.applied['wall/ack'] ?? 0) + 1;
      else stats.refused[ack?.error?.code ?? 'unknown'] = (stats.refused[ack?.error?.code ?? 'unknown'] ?? 0) + 1;
    } catch (err) {
      log?.warn({ err, alertId: item.alertId }, 'simulated wall acknowledgement not processed; retrying');
      lastMutation.delete(clientId);
      push({ kind: 'wall-ack', at: simNow + MIN, alertId: item.alertId });
    }
  }

  async function onScheduler(): Promise<void> {
    const run = await scheduler.runOnce();
    stats.schedulerRuns++;
    stats.automatic += run.commands.filter((c) => c.ok).length;
    push({ kind: 'scheduler', at: simNow + schedulerEvery });
  }

  /** Open events already in the store (another run's, or real ones) join the simulation. */
  async function adopt(): Promise<void> {
    const rows = await db
      .select({ doc: events.doc })
      .from(events)
      .where(sql`${events.status} in (${sql.join([...OPEN_STATES, 'closed'].map((s) => sql`${s}`), sql`, `)})`)
      .orderBy(sql`${events.updatedAt} desc`)
      .limit(5000);
    for (const { doc } of rows) {
      const rng = simStream(seed, `adopt:${doc.id}`);
      const f: Followed = { traits: drawTraits(rng, doc, doc.workflow.categoryCode), rng, refusals: 0 };
      followed.set(doc.id, f);
      plan(doc.id, doc, f);
    }
    if (rows.length > 0) log?.info({ events: rows.length }, 'simulator follows open events already in the store');
  }

  let chain: Promise<unknown> = Promise.resolve();
  async function processQueue(until: number): Promise<void> {
    // the configuration may change while it runs (an admin edits the calendar)
    ctx = await config.current();
    bctx = behaviour();
    for (;;) {
      const top = queue.peek();
      if (!top || top.at > until) break;
      queue.pop();
      simNow = Math.max(simNow, top.at);
      switch (top.kind) {
        case 'arrival':
          await onArrival(top);
          break;
        case 'resend': {
          const outcome = await submit(top.payload);
          if (outcome?.kind === 'duplicate') stats.duplicates++;
          break;
        }
        case 'action':
          await onAction(top);
          break;
        case 'scheduler':
          await onScheduler();
          break;
        case 'wall-ack':
          await onWallAck(top);
          break;
      }
    }
    simNow = Math.max(simNow, until);
  }

  function runUntil(at: Date): Promise<SimulatorStats> {
    const next = chain.then(() => processQueue(at.getTime())).then(snapshot);
    chain = next.catch(() => {});
    return next;
  }

  function snapshot(): SimulatorStats {
    return { ...stats, applied: { ...stats.applied }, refused: { ...stats.refused }, now: new Date(simNow).toISOString(), following: followed.size };
  }

  if (opts.adopt !== false) await adopt();

  let timer: NodeJS.Timeout | null = null;
  let progress: NodeJS.Timeout | null = null;
  let running = false;
  let wallStart = 0;
  let simStart = 0;
  const tick = () => {
    if (!running) return;
    const target = simStart + (wall() - wallStart) * speed;
    runUntil(new Date(target))
      .then(() => {
        stats.lagMs = Math.max(0, simStart + (wall() - wallStart) * speed - simNow);
      })
      .catch((err: unknown) => log?.warn({ err }, 'simulator step failed'))
      .finally(() => {
        if (running) {
          timer = setTimeout(tick, tickMs);
          timer.unref?.();
        }
      });
  };

  let stormCount = 0;
  return {
    seed,
    ratePerHour,
    speed,
    intake,
    scheduler,
    world,
    now: clock,
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      wallStart = wall();
      simStart = simNow;
      log?.info({ seed, ratePerHour, speed, start: new Date(simNow).toISOString(), scheduler: schedulerOn }, 'simulator started');
      if (log) {
        progress = setInterval(() => log.info(snapshot(), 'simulator progress'), opts.logEveryMs ?? 60_000);
        progress.unref?.();
      }
      tick();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      if (progress) clearInterval(progress);
      timer = null;
      progress = null;
      await chain;
      await scheduler.stop();
    },
    runUntil,
    runFor: (ms) => runUntil(new Date(simNow + ms)),
    triggerRainstorm(o = {}) {
      const start = simNow + (o.startsInMinutes ?? 0) * MIN;
      const storm: Storm = {
        start: new Date(start),
        end: new Date(start + (o.durationMinutes ?? 180) * MIN),
        peakPerHour: o.peakPerHour ?? Math.max(3 * ratePerHour, 30),
      };
      const id = ++stormCount;
      const stream = createStormStream(storm, seed, String(id));
      storms.set(id, stream);
      stats.storms++;
      const first = stream.next();
      if (first) push({ kind: 'arrival', at: first.at.getTime(), time: first, stream: id });
      log?.info({ start: storm.start.toISOString(), end: storm.end.toISOString(), peakPerHour: storm.peakPerHour }, 'rainstorm triggered');
      return storm;
    },
    stats: snapshot,
  };
}
