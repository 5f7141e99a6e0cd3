/**
 * map/workers and map/modules: reference layers of the wall.
 *
 * Grid workers (网格员) come from the grids in force (each grid lists its
 * workers); a worker is placed at the label point of the first grid that
 * lists them (`source: 'grid'`) unless the replicated `workers` row carries a
 * GPS fix from the grid app (`position` + `fixAt`, optional `onDuty`), which
 * wins (`source: 'gps'`).
 *
 * Module features (党群服务中心, 河段, 应急资源…) are replicated by the data
 * center as one `config` row keyed `modules` holding `{ features: [...] }`;
 * features that do not parse as ModuleFeature are skipped. Until a data
 * center publishes that row, every module layer is empty.
 */
import { type ParsedArgs } from '../../../../core/index';
import { ModuleFeature, type MapWorkers, type ModuleFeatures, type WorkerPosition } from '../../../../core/rpc/wall';
import type { QueryContext } from '../context';

interface WorkerDoc {
  id?: unknown;
  position?: unknown;
  fixAt?: unknown;
  onDuty?: unknown;
}

export async function mapWorkers(ctx: QueryContext): Promise<MapWorkers> {
  const checkpoint = ctx.checkpoint();
  const grids = (await ctx.deps.reference.get()).grids;
  const fixes = ctx.memoise('workers:fixes', () => {
    const out = new Map<string, { position: [number, number]; fixAt: string; onDuty: boolean | null }>();
    // the LIKE is the fast path (most workers have no fix); a document stored as sent may spell
    // its keys with \u escapes of ASCII letters ("\u0070osition": the snapshot's rows-line split
    // keeps documents byte for byte), which the LIKE cannot see but json_extract reads decoded
    const withFix = `SELECT doc FROM workers WHERE doc LIKE '%"position"%' OR (instr(doc, '\\u') > 0 AND json_extract(doc, '$.position') IS NOT NULL)`;
    for (const r of ctx.all<{ doc: string }>(withFix)) {
      const d = JSON.parse(r.doc) as WorkerDoc;
      const p = d.position;
      if (typeof d.id !== 'string' || !Array.isArray(p) || p.length !== 2 || !p.every((n) => typeof n === 'number') || typeof d.fixAt !== 'string') continue;
      out.set(d.id, { position: [p[0], p[1]], fixAt: d.fixAt, onDuty: typeof d.onDuty === 'boolean' ? d.onDuty : null });
    }
    return out;
  });
  const workers: WorkerPosition[] = [];
  const seen = new Set<string>();
  for (const g of grids) {
    for (const w of g.workers) {
      if (seen.has(w.id)) continue;
      seen.add(w.id);
      const fix = fixes.get(w.id);
      workers.push(
        fix
          ? { id: w.id, name: w.name, phone: w.phone, gridCode: g.code, position: fix.position, source: 'gps', fixAt: fix.fixAt, onDuty: fix.onDuty ?? true }
          : { id: w.id, name: w.name, phone: w.phone, gridCode: g.code, position: g.labelPoint, source: 'grid', fixAt: null, onDuty: true },
      );
    }
  }
  return { workers, checkpoint };
}

export async function mapModules(ctx: QueryContext, args: ParsedArgs<'map/modules'>): Promise<ModuleFeatures> {
  const { version } = await ctx.deps.reference.get();
  const row = ctx.get<{ v: number; doc: string }>("SELECT v, doc FROM config WHERE key = 'modules'");
  if (!row) return { version, features: [] };
  const features = ctx.memoise(`modules:${row.v}`, () => {
    const raw = (JSON.parse(row.doc) as { features?: unknown }).features;
    return (Array.isArray(raw) ? raw : []).flatMap((f) => {
      const parsed = ModuleFeature.safeParse(f);
      return parsed.success ? [parsed.data] : [];
    });
  });
  const wanted = args.modules && args.modules.length > 0 ? new Set(args.modules) : null;
  return { version: `${version}/modules@${row.v}`, features: wanted ? features.filter((f) => wanted.has(f.module)) : features };
}
