/**
 * Reads the replicated reference documents (areas, grids, units) back as
 * core types. Rows are validated with the core schemas on the way out; a
 * row that does not fit is skipped with a logged warning rather than taking
 * the whole map down (the data center is the authority on its content).
 */
import { Area, Grid, Unit, formatZodError } from '../../../core/index';
import type { z } from 'zod';
import type { Logger } from '../log';
import type { Replica } from '../store/open';

function readDocs<S extends z.ZodType>(replica: Replica, table: string, schema: S, log: Logger | undefined): z.output<S>[] {
  const rows = replica.sqlite.prepare(`SELECT key, doc FROM ${table} ORDER BY key`).all() as { key: string; doc: string }[];
  const out: z.output<S>[] = [];
  for (const r of rows) {
    const parsed = schema.safeParse(JSON.parse(r.doc));
    if (parsed.success) out.push(parsed.data);
    else log?.warn({ table, key: r.key, reason: formatZodError(parsed.error).slice(0, 300) }, 'skipped a replicated row that does not fit its schema');
  }
  return out;
}

export function readAreas(replica: Replica, log?: Logger): Area[] {
  return readDocs(replica, 'areas', Area, log).sort((a, b) => a.code.localeCompare(b.code));
}

export function readGrids(replica: Replica, log?: Logger): Grid[] {
  return readDocs(replica, 'grids', Grid, log).sort((a, b) => a.code.localeCompare(b.code) || a.validFrom.localeCompare(b.validFrom));
}

export function readUnits(replica: Replica, log?: Logger): Unit[] {
  return readDocs(replica, 'units', Unit, log).sort((a, b) => a.id.localeCompare(b.id));
}
