/**
 * map/playback: the events of a past period with the instants of their steps
 * (reported, first dispatched, handled, closed) as binary columns, so the wall
 * can replay the period by comparing times on the GPU. The instants are the
 * record's (`firstDispatchedAt`, the unit's feedback, `closedAt`, which the
 * workflow writes together with the audit entries of those steps), kept per
 * event in the local `kpi_facts` table (stats/facts.ts) so a playback reads
 * one narrow range instead of parsing every document. An event is in the
 * period when it was reported in it, or in the 30 days before and was not
 * closed before the period began.
 */
import { localDateOf, Urgency, type ParsedArgs } from '../../../../core/index';
import type { Playback } from '../../../../core/rpc/queries';
import type { QueryContext } from '../context';
import type { FactsStore } from '../stats/facts';
import { enumCodeSql, interleave, parseColumn, toF64, toU8 } from './columns';

const DAY = 86_400_000;
/** events reported this many days before the period are in it when they were not closed before it began */
const LOOKBACK_DAYS = 30;

export function mapPlayback(ctx: QueryContext, facts: FactsStore, args: ParsedArgs<'map/playback'>): Playback {
  const from = Date.parse(args.from);
  const to = Date.parse(args.to);
  const early = from - LOOKBACK_DAYS * DAY;
  const { calendar } = ctx.domain();
  facts.ensure(early);
  const r = ctx.get<Record<'n', number> & Record<'ids' | 'lon' | 'lat' | 'urgency' | 'reported' | 'dispatched' | 'handled' | 'closed', string | null>>(
    `SELECT count(*) AS n, json_group_array(key) AS ids, json_group_array(lon) AS lon, json_group_array(lat) AS lat,
       json_group_array(ur) AS urgency, json_group_array(reported_at) AS reported, json_group_array(dispatched_at) AS dispatched,
       json_group_array(handled_at) AS handled, json_group_array(closed_at) AS closed
     FROM (SELECT f.key, f.lon, f.lat, ${enumCodeSql('f.urgency', Urgency.options)} AS ur, f.reported_at, f.dispatched_at, f.handled_at, f.closed_at
           FROM kpi_facts f
           WHERE f.reported_at >= @early AND f.reported_at < @to AND f.lon IS NOT NULL
             AND (f.reported_at >= @from OR f.closed_at IS NULL OR f.closed_at >= @from)
           ORDER BY f.reported_at, f.rid)`,
    { from, to, early },
  )!;
  // a step after the period has not happened yet, as far as the playback goes
  const at = (values: (number | null)[]) => toF64(values.map((v) => (v !== null && v > to ? null : v)));
  return {
    from: args.from,
    to: args.to,
    count: r.n,
    ids: parseColumn<string>(r.ids),
    positions: interleave(parseColumn<number>(r.lon), parseColumn<number>(r.lat)),
    urgency: toU8(parseColumn<number>(r.urgency)),
    reportedAt: toF64(parseColumn<number>(r.reported)),
    dispatchedAt: at(parseColumn<number | null>(r.dispatched)),
    handledAt: at(parseColumn<number | null>(r.handled)),
    closedAt: at(parseColumn<number | null>(r.closed)),
    geometryAsOf: localDateOf(calendar, new Date(from)),
  };
}
