/**
 * events/detail: one event as the detail view shows it — the replicated record,
 * its whole audit timeline, every clock read NOW with the replicated working
 * calendar (core/sla clockState: exact, unlike the list's calendar-free
 * deadline columns), open near-duplicates, recent events of the same category
 * close by, the grid workers of its grid and the nearest grids of its village,
 * and this desktop's outbox entries for it (the pending overlay, oldest first).
 */
import { clockStates, distanceMetres, HuyingError, type AuditEntry, type EventRecord, type ParsedArgs } from '../../../../core/index';
import type { ClockView, EventDetail, PendingState } from '../../../../core/rpc/queries';
import type { QueryContext } from '../context';
import { ROW_COLUMNS, toEventRow, type RawRow } from './event-rows';

/** how far "near" is for recent similar events */
const SIMILAR_METRES = 500;
const SIMILAR_DAYS = 30;
const DAY = 86_400_000;
/** grid workers listed at most */
const MAX_WORKERS = 12;

export async function eventDetail(ctx: QueryContext, args: ParsedArgs<'events/detail'>): Promise<EventDetail> {
  const now = ctx.now();
  const checkpoint = ctx.checkpoint();
  const row = ctx.get<{ rid: number; doc: string; category_code: string | null; lon: number | null; lat: number | null; reported_at: number }>(
    'SELECT e.rid, d.doc, e.category_code, e.lon, e.lat, e.reported_at FROM events e JOIN events_doc d ON d.rid = e.rid WHERE e.key = @id',
    { id: args.id },
  );
  if (!row) throw new HuyingError('not_found', `event ${args.id} is not in this replica`);
  const event = JSON.parse(row.doc) as EventRecord;

  const audit = ctx
    .all<{ doc: string }>('SELECT doc FROM audit WHERE event_id = @id ORDER BY seq', { id: args.id })
    .map((r) => JSON.parse(r.doc) as AuditEntry);

  const { calendar } = ctx.domain();
  const at = new Date(now);
  const clocks: ClockView[] = clockStates(event.workflow.clocks, at, calendar).map((s, i) => {
    const c = event.workflow.clocks[i]!;
    return {
      id: s.id,
      kind: s.kind,
      status: s.status,
      paused: s.paused,
      stopped: s.stopped,
      met: s.met,
      startedAt: c.startedAt,
      deadline: s.deadline.toISOString(),
      warnFrom: s.warnFrom.toISOString(),
      remainingMs: s.remainingMs,
      usedFraction: s.usedFraction,
      limit: c.policy ? { unit: c.policy.unit, amount: c.policy.amount } : null,
    };
  });

  const candidates = event.duplicateCandidates.filter((id) => id !== args.id);
  const duplicates =
    candidates.length === 0
      ? []
      : ctx
          .all<RawRow>(`SELECT ${ROW_COLUMNS} FROM events e WHERE e.key IN (SELECT value FROM json_each(@ids)) AND e.is_open = 1 ORDER BY e.reported_at DESC`, {
            ids: JSON.stringify(candidates),
            now,
          })
          .map(toEventRow);

  let recentSimilar: EventDetail['recentSimilar'] = [];
  if (row.category_code !== null && row.lon !== null && row.lat !== null) {
    const dLat = SIMILAR_METRES / 111_320;
    const dLon = SIMILAR_METRES / (111_320 * Math.cos((row.lat * Math.PI) / 180));
    recentSimilar = ctx
      .all<RawRow>(
        `SELECT ${ROW_COLUMNS} FROM events e
         WHERE e.category_code = @cat AND e.reported_at >= @from AND e.reported_at <= @until AND e.rid <> @rid
           AND e.lon BETWEEN @lon0 AND @lon1 AND e.lat BETWEEN @lat0 AND @lat1
         ORDER BY e.reported_at DESC LIMIT 10`,
        {
          cat: row.category_code,
          from: row.reported_at - SIMILAR_DAYS * DAY,
          until: Math.max(now, row.reported_at),
          rid: row.rid,
          lon0: row.lon - dLon,
          lon1: row.lon + dLon,
          lat0: row.lat - dLat,
          lat1: row.lat + dLat,
          now,
        },
      )
      .map(toEventRow);
  }

  const nearbyWorkers = await workersNear(ctx, event);

  const pending = ctx
    .all<{ mutation_id: number; state: string; mutation: string; created_at: string; error: string | null }>(
      `SELECT mutation_id, state, mutation, created_at, error FROM outbox WHERE event_id = @id AND state <> 'dismissed' ORDER BY mutation_id`,
      { id: args.id },
    )
    .map((o) => {
      const m = JSON.parse(o.mutation) as { name: string; command?: { type?: string } };
      const error = o.error ? (JSON.parse(o.error) as { code: string; message: string }) : null;
      return {
        mutationId: o.mutation_id,
        state: o.state as PendingState,
        command: m.command?.type ?? m.name,
        createdAt: o.created_at,
        error: error ? { code: error.code, message: error.message } : null,
      };
    });

  return { event, audit, clocks, duplicates, recentSimilar, nearbyWorkers, pending, checkpoint };
}

/** The workers of the event's grid first, then of the nearest grids of its village. */
async function workersNear(ctx: QueryContext, event: EventRecord): Promise<EventDetail['nearbyWorkers']> {
  const { gridCode, villageCode } = event.workflow.area;
  if (!gridCode && !villageCode) return [];
  let grids;
  try {
    grids = (await ctx.deps.reference.get()).grids;
  } catch {
    return [];
  }
  const here = event.location;
  const candidates = grids
    .filter((g) => g.code === gridCode || (villageCode !== null && g.villageCode === villageCode))
    .map((g) => ({ g, d: here ? distanceMetres(here, g.labelPoint) : null }))
    .sort((a, b) => Number(b.g.code === gridCode) - Number(a.g.code === gridCode) || (a.d ?? 0) - (b.d ?? 0));
  const out: EventDetail['nearbyWorkers'] = [];
  const seen = new Set<string>();
  for (const { g, d } of candidates) {
    for (const w of g.workers) {
      if (seen.has(w.id) || out.length >= MAX_WORKERS) continue;
      seen.add(w.id);
      out.push({ id: w.id, name: w.name, phone: w.phone, gridCode: g.code, distanceMetres: d === null ? null : Math.round(d) });
    }
  }
  return out;
}
