/**
 * The facts the demo district is drawn from (resources/demo/huadu.json): outline, towns with
 * their centres, codes, populations and how many villages, communities and grids each holds, the
 * district departments. They are configuration, not code, so a site can pass its own; the schema
 * checks them once, including that the per-town figures add up to the declared totals, so a bad
 * edit fails loudly instead of producing a district that silently disagrees with itself.
 */
import { z } from 'zod';
import { AreaCode12, DistrictCode, LonLat } from '../../core/geo/types';
import huadu from '../../../resources/demo/huadu.json';

export const DemoTownFacts = z.object({
  /** 12-digit code ending in 000 */
  code: AreaCode12,
  /** official name, e.g. 新华街道 */
  name: z.string().min(1),
  /** display name, e.g. 新华街 */
  shortName: z.string().min(1),
  /** 街道 subdistrict (urban) or 镇 town (mostly rural) */
  kind: z.enum(['subdistrict', 'town']),
  /** approximate centre; the town's cell is drawn around it and its urban core sits there */
  centre: LonLat,
  population: z.number().int().positive(),
  /** number of 社区 communities */
  communities: z.number().int().nonnegative(),
  /** number of 村 villages */
  villages: z.number().int().nonnegative(),
  /** base grids in its communities (kind community) */
  communityGrids: z.number().int().nonnegative(),
  /** base grids in its villages (kind rural) */
  ruralGrids: z.number().int().nonnegative(),
});
export type DemoTownFacts = z.infer<typeof DemoTownFacts>;

export const DemoDepartmentFacts = z.object({
  id: z.string().regex(/^dept-[a-z0-9-]+$/),
  name: z.string().min(1),
  shortName: z.string().min(1),
});
export type DemoDepartmentFacts = z.infer<typeof DemoDepartmentFacts>;

export const DemoFacts = z
  .object({
    validFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    district: z.object({
      code: DistrictCode,
      name: z.string().min(1),
      population: z.number().int().positive(),
      /** where the district government and its command centre sit */
      seat: LonLat,
      commandCentre: z.object({ name: z.string().min(1), shortName: z.string().min(1), phone: z.string() }),
      /** approximate outline, clockwise or not, closed or not */
      outline: z.array(LonLat).min(3),
    }),
    towns: z.array(DemoTownFacts).min(1),
    departments: z.array(DemoDepartmentFacts),
    totals: z.object({
      towns: z.number().int(),
      subdistricts: z.number().int(),
      communities: z.number().int(),
      villages: z.number().int(),
      communityGrids: z.number().int(),
      ruralGrids: z.number().int(),
      departments: z.number().int(),
    }),
    gridWorkers: z.object({
      /** share of the community grids of subdistricts that get two workers (一格多员) */
      busyUrbanShare: z.number().min(0).max(1),
    }),
  })
  .superRefine((f, ctx) => {
    const sum = (key: 'population' | 'communities' | 'villages' | 'communityGrids' | 'ruralGrids'): number =>
      f.towns.reduce((s, t) => s + t[key], 0);
    const expect = (what: string, actual: number, declared: number): void => {
      if (actual !== declared) ctx.addIssue({ code: 'custom', message: `${what}: towns add up to ${actual}, declared ${declared}` });
    };
    expect('population', sum('population'), f.district.population);
    expect('towns', f.towns.length, f.totals.towns);
    expect('subdistricts', f.towns.filter((t) => t.kind === 'subdistrict').length, f.totals.subdistricts);
    expect('communities', sum('communities'), f.totals.communities);
    expect('villages', sum('villages'), f.totals.villages);
    expect('community grids', sum('communityGrids'), f.totals.communityGrids);
    expect('rural grids', sum('ruralGrids'), f.totals.ruralGrids);
    expect('departments', f.departments.length, f.totals.departments);
    const codes = new Set<string>();
    for (const t of f.towns) {
      if (!t.code.startsWith(f.district.code) || !t.code.endsWith('000')) {
        ctx.addIssue({ code: 'custom', message: `town ${t.name}: code ${t.code} must be ${f.district.code} + 3 digits + 000` });
      }
      if (codes.has(t.code)) ctx.addIssue({ code: 'custom', message: `town code ${t.code} is used twice` });
      codes.add(t.code);
      if (t.communities + t.villages === 0) ctx.addIssue({ code: 'custom', message: `town ${t.name} has no villages or communities` });
      if (t.communityGrids < t.communities || t.ruralGrids < t.villages || (t.communities === 0) !== (t.communityGrids === 0) || (t.villages === 0) !== (t.ruralGrids === 0)) {
        ctx.addIssue({ code: 'custom', message: `town ${t.name}: every community and village needs at least one grid, and grids need a place` });
      }
      if (t.communities > 99 || t.villages > 799) ctx.addIssue({ code: 'custom', message: `town ${t.name}: too many villages for 3-digit codes` });
    }
    if (new Set(f.departments.map((d) => d.id)).size !== f.departments.length) {
      ctx.addIssue({ code: 'custom', message: 'department ids must be unique' });
    }
  });
export type DemoFacts = z.infer<typeof DemoFacts>;

/** Parses and cross-checks facts from any source (a site's own JSON file, for example). */
export function parseDemoFacts(json: unknown): DemoFacts {
  return DemoFacts.parse(json);
}

/** The Huadu demo facts shipped in resources/demo/huadu.json. */
export const HUADU_FACTS: DemoFacts = parseDemoFacts(huadu);
