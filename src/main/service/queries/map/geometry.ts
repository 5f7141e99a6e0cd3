/**
 * grids/geometry with `asOf`: the base grids in force on a given day, for
 * playback of a period before a grid was redrawn (grids carry validFrom /
 * validTo, and the replica keeps every version). Without `asOf`, or for today,
 * it is the current geometry the map always draws.
 */
import type { GridsGeometry, ParsedArgs } from '../../../../core/index';
import { buildGridsGeometry } from '../../grids/grids-geometry';
import { readGrids } from '../../reference/reference-store';
import type { QueryContext } from '../context';

export async function gridsGeometry(ctx: QueryContext, args: ParsedArgs<'grids/geometry'>): Promise<GridsGeometry> {
  const today = new Date(ctx.now()).toISOString().slice(0, 10);
  const asOf = args.asOf ?? today;
  if (asOf === today) return ctx.deps.reference.derive('grids/geometry', (set) => buildGridsGeometry(set.version, set.areas, set.grids));
  return ctx.deps.reference.derive(`grids/geometry@${asOf}`, (set) => {
    const grids = readGrids(ctx.deps.replica, ctx.deps.log).filter((g) => g.validFrom.slice(0, 10) <= asOf && (g.validTo === null || g.validTo.slice(0, 10) > asOf));
    return buildGridsGeometry(set.version, set.areas, grids);
  });
}
