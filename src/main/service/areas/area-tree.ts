/**
 * Builds the district → town → village tree the renderer's side list and
 * filters use, with the number of grids in force under every node.
 */
import { HuyingError, type Area, type AreaNode, type AreasTree, type Grid } from '../../../core/index';

export function buildAreaTree(version: string, areas: Area[], grids: Grid[]): AreasTree {
  const counts = new Map<string, number>();
  const bump = (code: string) => counts.set(code, (counts.get(code) ?? 0) + 1);
  for (const g of grids) {
    bump(g.villageCode);
    bump(g.townCode);
  }
  const districts = areas.filter((a) => a.level === 'district');
  if (districts.length !== 1) throw new HuyingError('internal', `the replica holds ${districts.length} districts, expected 1`);
  const district = districts[0]!;

  const children = new Map<string, Area[]>();
  for (const a of areas) {
    if (a.parentCode === null) continue;
    let list = children.get(a.parentCode);
    if (!list) children.set(a.parentCode, (list = []));
    list.push(a);
  }
  const node = (a: Area): AreaNode => ({
    code: a.code,
    name: a.name,
    level: a.level,
    kind: a.kind,
    parentCode: a.parentCode,
    labelPoint: a.labelPoint,
    bbox: a.bbox,
    population: a.population,
    gridCount: a.level === 'district' ? grids.length : (counts.get(a.code) ?? 0),
    children: (children.get(a.code) ?? []).sort((x, y) => x.code.localeCompare(y.code)).map(node),
  });
  return { version, district: node(district) };
}
