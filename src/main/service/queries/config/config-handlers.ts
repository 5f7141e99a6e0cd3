/**
 * The workstation's reference requests: the replicated domain configuration
 * documents (config/get: the renderer compiles them with core
 * `parseDomainConfig` for previews) and the units an event can go to
 * (units/list).
 *
 * Units are listed district → departments → towns → villages, by id within a
 * kind: the replicated unit document carries no sort order of its own, and
 * this is the order the data center's seed gives them.
 */
import { ConfigDocumentName, type ConfigDocuments, type UnitList } from '../../../../core/rpc/workstation';
import { HuyingError, UnitKind } from '../../../../core/index';
import { readUnits } from '../../reference/reference-store';
import { readSyncState } from '../../store/sync-state';
import type { QueryContext } from '../context';

export function configDocuments(ctx: QueryContext): ConfigDocuments {
  const rows = ctx.all<{ key: string; v: number; doc: string }>(
    `SELECT key, v, doc FROM config WHERE key IN (${ConfigDocumentName.options.map((n) => `'${n}'`).join(', ')})`,
  );
  if (rows.length === 0) {
    throw new HuyingError('unavailable', 'no configuration replicated yet: the data center has not been reached since this replica was created');
  }
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const documents = {} as ConfigDocuments['documents'];
  const versions = {} as ConfigDocuments['versions'];
  for (const name of ConfigDocumentName.options) {
    const r = byKey.get(name);
    documents[name] = r ? (JSON.parse(r.doc) as unknown) : null;
    versions[name] = r?.v ?? 0;
  }
  return { documents, versions };
}

const KIND_ORDER = new Map(UnitKind.options.map((k, i) => [k, i]));

export function unitList(ctx: QueryContext): UnitList {
  const state = readSyncState(ctx.sqlite);
  if (!state) throw new HuyingError('unavailable', 'no reference data yet: the data center has not been reached since this replica was created');
  return ctx.memoise('units/list', () => ({
    version: state.referenceVersion,
    units: readUnits(ctx.deps.replica, ctx.deps.log).sort((a, b) => (KIND_ORDER.get(a.kind) ?? 9) - (KIND_ORDER.get(b.kind) ?? 9) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  }));
}
