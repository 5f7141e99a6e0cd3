/**
 * A data center that predates the sync feed (404 on the snapshot) still has
 * the first cut's reference endpoints: `/api/v1/reference/version`, then
 * areas, grids and units. This reads them into the same staging tables and
 * swaps them in like a snapshot (cursor epoch `legacy-reference`, v 0, the
 * reference version as `sync_state.reference_version`); the sync client
 * polls it. No events flow this way. When the data center gains the feed,
 * the next attempt's snapshot succeeds and replaces this.
 */
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { AreasResponse, GridsResponse, ReferenceVersion, UnitsResponse, formatZodError, type SyncScope, type SyncStatus } from '../../../core/index';
import type { Logger } from '../log';
import { clearStaging, stageRows, swapInSnapshot } from '../store/replica-writes';
import type { RowWriter } from '../store/replicated-rows';
import type { SyncStateRow } from '../store/sync-state';
import { describeFetchError, MalformedError, statusError, UnavailableError } from './http';

export interface LegacyRoundOptions {
  sqlite: Database.Database;
  writer: RowWriter;
  base: URL;
  fetch: typeof fetch;
  signal: AbortSignal;
  requestTimeoutMs: number;
  headers: Record<string, string>;
  stored: SyncStateRow | null;
  scope: SyncScope;
  at(): string;
  onProgress(progress: NonNullable<SyncStatus['progress']>): void;
  log: Logger;
}

const EPOCH = 'legacy-reference';

/** One round: true when new reference data was swapped in, false when the version is unchanged. */
export async function legacyReferenceRound(o: LegacyRoundOptions): Promise<boolean> {
  const getJson = async <S extends z.ZodType>(path: string, schema: S): Promise<{ value: z.output<S>; bytes: number }> => {
    const url = new URL(path, o.base);
    let res: Response;
    let text: string;
    try {
      res = await o.fetch(url, { headers: { ...o.headers, accept: 'application/json' }, signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.requestTimeoutMs)]) });
    } catch (err) {
      throw new UnavailableError(describeFetchError(err, url.pathname));
    }
    if (!res.ok) throw await statusError(res, url.pathname);
    try {
      text = await res.text();
    } catch (err) {
      throw new UnavailableError(describeFetchError(err, url.pathname));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MalformedError(`${url.pathname} is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new MalformedError(`${url.pathname}: ${formatZodError(parsed.error).slice(0, 500)}`, parsed.error.issues.slice(0, 20));
    return { value: parsed.data, bytes: Buffer.byteLength(text) };
  };

  const remote = (await getJson('api/v1/reference/version', ReferenceVersion)).value;
  if (o.stored && o.stored.cursor.epoch === EPOCH && o.stored.referenceVersion === remote.version && o.stored.scope === o.scope) return false;

  const started = Date.now();
  const totalRows = 1 + remote.counts.towns + remote.counts.villages + remote.counts.grids + remote.counts.units;
  let rows = 0;
  let bytes = 0;
  const progress = () => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = rows / seconds;
    o.onProgress({ rows, bytes, totalRows, rowsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.max(0, (totalRows - rows) / rate) : null });
  };
  progress();
  const counted = <T>(got: { value: T; bytes: number }, n: (v: T) => number): T => {
    rows += n(got.value);
    bytes += got.bytes;
    progress();
    return got.value;
  };
  const [areas, grids, units] = await Promise.all([
    getJson('api/v1/areas', AreasResponse).then((r) => counted(r, (v) => v.areas.length)),
    getJson('api/v1/grids', GridsResponse).then((r) => counted(r, (v) => v.grids.length)),
    getJson('api/v1/units', UnitsResponse).then((r) => counted(r, (v) => v.units.length)),
  ]);
  const versions = new Set([remote.version, areas.version, grids.version, units.version]);
  if (versions.size > 1) throw new UnavailableError(`reference data changed during the fetch (${[...versions].join(', ')}); fetching again`);
  const districts = areas.areas.filter((a) => a.level === 'district').length;
  const towns = areas.areas.filter((a) => a.level === 'town').length;
  const villages = areas.areas.filter((a) => a.level === 'village').length;
  const want = remote.counts;
  if (districts !== 1 || towns !== want.towns || villages !== want.villages || grids.grids.length !== want.grids || units.units.length !== want.units) {
    throw new MalformedError(
      `counts differ from the announced version: got ${districts} district, ${towns} towns, ${villages} villages, ${grids.grids.length} grids, ${units.units.length} units; ` +
        `announced ${want.towns} towns, ${want.villages} villages, ${want.grids} grids, ${want.units} units`,
    );
  }

  clearStaging(o.sqlite);
  try {
    stageRows(o.sqlite, o.writer, 'areas', areas.areas.map((a) => ({ key: a.code, v: 1, row: a })));
    stageRows(o.sqlite, o.writer, 'grids', grids.grids.map((g) => ({ key: `${g.code}:${g.validFrom}`, v: 1, row: g })));
    stageRows(o.sqlite, o.writer, 'units', units.units.map((u) => ({ key: u.id, v: 1, row: u })));
  } catch (err) {
    clearStaging(o.sqlite);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) throw new MalformedError(`inconsistent reference data (${code}): ${(err as Error).message}`);
    throw err;
  }
  const at = o.at();
  swapInSnapshot(o.sqlite, { scope: o.scope, checkpoint: { epoch: EPOCH, v: 0 }, referenceVersion: remote.version, checksum: null, at });
  o.log.info({ version: remote.version, areas: areas.areas.length, grids: grids.grids.length, units: units.units.length, bytes }, 'reference data replicated (data center without the sync feed)');
  return true;
}
