/**
 * map/density: past events binned on a square grid of `cellMetres` in SQL
 * (GROUP BY the cell), so a heatmap or hexagon layer gets a few thousand
 * weighted points instead of 10^5 raw events. Cells are squares in metres at
 * the latitude of the district (the events' mean latitude), which is close
 * enough for a heatmap across 60 km.
 */
import type { ParsedArgs } from '../../../../core/index';
import type { Density } from '../../../../core/rpc/queries';
import type { QueryContext } from '../context';
import { categoryTerm } from '../events/event-sql';
import { resolvePeriod } from '../stats/period';
import { parseColumn } from './columns';

const METRES_PER_DEGREE = 111_320;

export function mapDensity(ctx: QueryContext, args: ParsedArgs<'map/density'>): Density {
  const { calendar } = ctx.domain();
  const range = resolvePeriod(args.period, ctx.now(), calendar.offsetMs);
  const bind: Record<string, unknown> = { from: range.from, to: range.to };
  const terms = ['e.reported_at >= @from', 'e.reported_at < @to', 'e.lon IS NOT NULL', 'e.lat IS NOT NULL'];
  if (args.categoryCodes?.length) terms.push(categoryTerm(args.categoryCodes, bind));
  // one reference latitude for the whole district, so cells line up across the map
  const lat0 = ctx.memoise('density:lat0', () => ctx.get<{ lat: number | null }>('SELECT avg(lat) AS lat FROM (SELECT lat FROM events WHERE lat IS NOT NULL LIMIT 1000)')!.lat) ?? 23.4;
  const dLat = args.cellMetres / METRES_PER_DEGREE;
  const dLon = args.cellMetres / (METRES_PER_DEGREE * Math.cos((lat0 * Math.PI) / 180));
  bind.dlon = dLon;
  bind.dlat = dLat;
  const r = ctx.get<{ n: number; total: number | null; gx: string; gy: string; w: string }>(
    `SELECT count(*) AS n, sum(w) AS total, json_group_array(gx) AS gx, json_group_array(gy) AS gy, json_group_array(w) AS w FROM (
       SELECT CAST(floor(e.lon / @dlon) AS INTEGER) AS gx, CAST(floor(e.lat / @dlat) AS INTEGER) AS gy, count(*) AS w
       FROM events e WHERE ${terms.join(' AND ')} GROUP BY gx, gy)`,
    bind,
  )!;
  const gx = parseColumn<number>(r.gx);
  const gy = parseColumn<number>(r.gy);
  const w = parseColumn<number>(r.w);
  const positions = new Float32Array(r.n * 2);
  const weights = new Float32Array(r.n);
  for (let i = 0; i < r.n; i++) {
    positions[2 * i] = (gx[i]! + 0.5) * dLon;
    positions[2 * i + 1] = (gy[i]! + 0.5) * dLat;
    weights[i] = w[i]!;
  }
  return { count: r.n, positions, weights, total: r.total ?? 0 };
}
