/**
 * map/events: the events layer as binary columns (EventColumns), for deck.gl
 * attributes without per-object JavaScript on either side. Default: the open
 * events; with `ids`, only those events (a live patch after `events/changed`:
 * an id missing from the answer no longer matches or is gone). Events without
 * a position are not on the map and are left out.
 */
import { EventSource, EventStatus, Urgency, type ParsedArgs } from '../../../../core/index';
import type { EventColumns } from '../../../../core/rpc/queries';
import type { QueryContext } from '../context';
import { filterSql, PAUSED_CODE_SQL, PAUSED_ROWS, RUNNING_CODE_SQL } from '../events/event-sql';
import { enumCodeSql, interleave, parseColumn, toF64, toU8 } from './columns';

const STATUS = enumCodeSql('e.status', EventStatus.options);
const URGENCY = enumCodeSql('e.urgency', Urgency.options);
const SOURCE = enumCodeSql('e.source', EventSource.options);

interface Columnar {
  n: number;
  ids: string | null;
  lon: string | null;
  lat: string | null;
  status: string | null;
  urgency: string | null;
  source: string | null;
  reported: string | null;
  deadline: string | null;
  clock: string | null;
  supervision: string | null;
  grids: string | null;
  leads: string | null;
}

export function mapEvents(ctx: QueryContext, args: ParsedArgs<'map/events'>): EventColumns {
  const now = ctx.now();
  const checkpoint = ctx.checkpoint();
  const f = filterSql(args.filter, now, ctx.deps.user()?.id ?? null, ctx.ftsThrough());
  const empty: EventColumns = {
    count: 0,
    ids: [],
    positions: new Float32Array(0),
    status: new Uint8Array(0),
    urgency: new Uint8Array(0),
    source: new Uint8Array(0),
    reportedAt: new Float64Array(0),
    deadline: new Float64Array(0),
    clockStatus: new Uint8Array(0),
    supervisionLevel: new Uint8Array(0),
    gridCodes: [],
    leadUnitIds: [],
    checkpoint,
  };
  if (f.empty || (args.ids && args.ids.length === 0)) return empty;
  const terms = [f.where ? f.where.slice('WHERE '.length) : null, 'e.lon IS NOT NULL AND e.lat IS NOT NULL'];
  const bind = { ...f.bind };
  if (args.ids) {
    terms.push('e.key IN (SELECT value FROM json_each(@ids))');
    bind.ids = JSON.stringify(args.ids);
  }
  const where = terms.filter((t) => t !== null).join(' AND ');
  // a paused clock's frozen code comes from events_paused (a handful of rows), joined by rid,
  // so the rows themselves are read from the covering index events_open alone
  const r = ctx.get<Columnar>(
    `WITH paused AS MATERIALIZED (SELECT e.rid, ${PAUSED_CODE_SQL} AS code FROM events e INDEXED BY events_paused WHERE ${PAUSED_ROWS})
     SELECT count(*) AS n, json_group_array(key) AS ids, json_group_array(lon) AS lon, json_group_array(lat) AS lat,
       json_group_array(st) AS status, json_group_array(ur) AS urgency, json_group_array(so) AS source,
       json_group_array(reported_at) AS reported, json_group_array(deadline) AS deadline, json_group_array(clock) AS clock,
       json_group_array(supervision_level) AS supervision, json_group_array(grid_code) AS grids, json_group_array(lead_unit_id) AS leads
     FROM (SELECT e.key, e.lon, e.lat, ${STATUS} AS st, ${URGENCY} AS ur, ${SOURCE} AS so, e.reported_at,
             CASE WHEN e.clock_state IN ('running', 'paused') THEN e.deadline_at END AS deadline,
             CASE e.clock_state WHEN 'running' THEN ${RUNNING_CODE_SQL} WHEN 'paused' THEN coalesce(p.code, 1) ELSE 0 END AS clock,
             coalesce(e.supervision_level, 0) AS supervision_level, e.grid_code, e.lead_unit_id
           FROM ${f.from} LEFT JOIN paused p ON p.rid = e.rid WHERE ${where})`,
    bind,
  )!;
  if (r.n === 0) return empty;
  return {
    count: r.n,
    ids: parseColumn<string>(r.ids),
    positions: interleave(parseColumn<number>(r.lon), parseColumn<number>(r.lat)),
    status: toU8(parseColumn<number>(r.status)),
    urgency: toU8(parseColumn<number>(r.urgency)),
    source: toU8(parseColumn<number>(r.source)),
    reportedAt: toF64(parseColumn<number>(r.reported)),
    deadline: toF64(parseColumn<number>(r.deadline)),
    clockStatus: toU8(parseColumn<number>(r.clock)),
    supervisionLevel: toU8(parseColumn<number>(r.supervision)),
    gridCodes: parseColumn<string | null>(r.grids),
    leadUnitIds: parseColumn<string | null>(r.leads),
    checkpoint,
  };
}
