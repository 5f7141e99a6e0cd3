/**
 * The domain configuration as the data center holds it: the four documents a site edits
 * (working calendar, taxonomy, responsibility matrix, workflow settings) stored one row each in
 * `config` and replicated to every desktop (table `config`, key = document name, row = the
 * document exactly as in resources/config/*.json).
 *
 * - A new database gets the bundled documents (`ensureLoaded`), once, even with two servers
 *   starting together (insert-if-absent).
 * - Every replacement is validated as a whole set with `parseDomainConfig` — the new documents
 *   together with the stored ones, unit ids cross-checked against the units in the store — and
 *   written in one replicated transaction: either every document of the request lands or none
 *   does. Bad data comes back as `invalid_args` with field errors named `file:path`
 *   (`calendar:holidays.3.from`).
 * - `current()` is the compiled `DomainConfig` that `decide`, the SLA scheduler and intake use.
 *   It is cached by the rows' versions, which are looked at no more than once per
 *   `checkEveryMs` (a replacement made through this process is seen at once; one made by
 *   another server on the same PostgreSQL within that interval).
 */
import { asc, inArray, sql } from 'drizzle-orm';
import { HuyingError, type FieldError } from '../../core/errors';
import { flattenTaxonomy } from '../../core/taxonomy/tree';
import { parseDomainConfig, type DomainConfig } from '../../core/workflow/domain-config';
import { createCategoryResolver, DEMO_HOTLINE_LABELS, DEMO_URBAN_MANAGEMENT_CLASSES, type CategoryResolver, type CategoryResolverOptions } from '../intake/categories';
import type { WriteReplicated } from '../events/replication';
import { isoFromPg } from '../intake/service';
import type { Db, DbOrTx } from '../store/database';
import { CONFIG_DOCUMENTS, config, type ConfigDocumentName } from '../store/events-schema';
import { units } from '../store/schema';
import { bundledConfigDocuments, type ConfigDocuments } from './bundled';

export interface ConfigDocumentInfo {
  name: ConfigDocumentName;
  /** change-log version that wrote it */
  v: number;
  updatedAt: string;
  /** account id, or `bundled` for the shipped defaults */
  updatedBy: string;
}

export interface ConfigDocumentWithBody extends ConfigDocumentInfo {
  document: unknown;
}

export interface ReplaceOptions {
  /** the account replacing them (audit of configuration) */
  by: string;
  /** optimistic concurrency: the version each document is expected to have (If-Match) */
  expectedVersions?: Partial<Record<ConfigDocumentName, number>>;
  /** validate only; write nothing */
  dryRun?: boolean;
}

export interface DomainConfigService {
  /** Writes the bundled document for every name the store lacks; returns the names written. */
  ensureLoaded(): Promise<ConfigDocumentName[]>;
  /**
   * The compiled configuration (calendar, workflow settings, taxonomy index, matrix). Inside a
   * transaction pass it as `on`: embedded PGlite has one connection, and a query outside the open
   * transaction would wait for it forever.
   */
  current(on?: DbOrTx): Promise<DomainConfig>;
  /** The stored documents (without bodies) and the cross-check problems of the stored set against today's units. */
  list(): Promise<{ documents: ConfigDocumentInfo[]; problems: FieldError[] }>;
  get(name: ConfigDocumentName): Promise<ConfigDocumentWithBody | null>;
  /**
   * Validates `patch` with the stored documents it leaves alone, and writes it in one replicated
   * transaction. Throws `invalid_args` (details: field errors) or `conflict` (a version moved).
   */
  replace(patch: Partial<ConfigDocuments>, options: ReplaceOptions): Promise<ConfigDocumentInfo[]>;
  /** Taxonomy codes and names for intake's category resolver; follows the current taxonomy. */
  readonly categories: CategoryResolver;
  /** Forget the cached compilation (tests; after editing rows by hand). */
  invalidate(): void;
}

export interface DomainConfigServiceDeps {
  db: Db;
  writeReplicated: WriteReplicated;
  clock?: () => Date;
  /** default 1000 */
  checkEveryMs?: number;
  /** what a new database starts from (default: the bundled documents) */
  defaults?: () => ConfigDocuments;
  /** label → code tables per intake source (default: the demo tables) */
  categoryLabels?: CategoryResolverOptions['labels'];
}

export function isConfigDocumentName(name: string): name is ConfigDocumentName {
  return (CONFIG_DOCUMENTS as readonly string[]).includes(name);
}

type StoredRow = typeof config.$inferSelect;

async function readRows(db: DbOrTx, lock = false): Promise<StoredRow[]> {
  const q = db.select().from(config).orderBy(asc(config.key));
  return lock ? q.for('update') : q;
}

async function knownUnitIds(db: DbOrTx): Promise<Set<string> | undefined> {
  const rows = await db.select({ id: units.id }).from(units);
  // an unseeded store has no units to check against; the documents are still checked structurally
  return rows.length > 0 ? new Set(rows.map((r) => r.id)) : undefined;
}

function invalid(problems: FieldError[]): HuyingError {
  return new HuyingError('invalid_args', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
}

/** The validation problems of a full document set, as field errors (empty when valid). */
export function configProblems(docs: ConfigDocuments, unitIds?: ReadonlySet<string>): FieldError[] {
  const r = parseDomainConfig(docs, unitIds);
  return r.ok ? [] : ((r.error.details as FieldError[] | undefined) ?? [{ field: '(root)', message: r.error.message }]);
}

const toInfo = (r: StoredRow): ConfigDocumentInfo => ({
  name: r.key as ConfigDocumentName,
  v: r.v,
  updatedAt: isoFromPg(r.updatedAt),
  updatedBy: r.updatedBy,
});

export function createDomainConfigService(deps: DomainConfigServiceDeps): DomainConfigService {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const every = deps.checkEveryMs ?? 1000;
  const defaults = deps.defaults ?? bundledConfigDocuments;

  let compiled: DomainConfig | null = null;
  let compiledFor = '';
  let checkedAt = -Infinity;
  let resolver: CategoryResolver = createCategoryResolver({ labels: deps.categoryLabels ?? defaultLabels() });

  const versionKey = (rows: { key: string; v: number }[]) => rows.map((r) => `${r.key}@${r.v}`).join(',');

  function compile(rows: StoredRow[]): DomainConfig {
    const docs = Object.fromEntries(rows.map((r) => [r.key, r.doc])) as Partial<ConfigDocuments>;
    const missing = CONFIG_DOCUMENTS.filter((n) => !(n in docs));
    if (missing.length > 0) throw new HuyingError('unavailable', `domain configuration incomplete: no ${missing.join(', ')} document (ensureLoaded not run?)`);
    const r = parseDomainConfig(docs as ConfigDocuments);
    if (!r.ok) throw new HuyingError('internal', `stored domain configuration does not validate: ${r.error.message}`);
    return r.value;
  }

  function adopt(rows: StoredRow[]): DomainConfig {
    const key = versionKey(rows);
    if (compiled && compiledFor === key) return compiled;
    compiled = compile(rows);
    compiledFor = key;
    resolver = createCategoryResolver({
      nodes: flattenTaxonomy(compiled.taxonomy).map((n) => ({ code: n.node.code, name: n.node.name })),
      labels: deps.categoryLabels ?? defaultLabels(),
    });
    return compiled;
  }

  const categories: CategoryResolver = {
    isKnown: (code) => resolver.isKnown(code),
    fromLabel: (source, label) => resolver.fromLabel(source, label),
    nameOf: (code) => resolver.nameOf(code),
  };

  return {
    categories,

    invalidate() {
      compiled = null;
      compiledFor = '';
      checkedAt = -Infinity;
    },

    async ensureLoaded() {
      const present = new Set((await db.select({ key: config.key }).from(config)).map((r) => r.key));
      if (CONFIG_DOCUMENTS.every((n) => present.has(n))) {
        adopt(await readRows(db));
        return [];
      }
      const { result: written } = await deps.writeReplicated(db, async (tx, out) => {
        const v = out.v;
        const rows = await readRows(tx, true);
        const stored = Object.fromEntries(rows.map((r) => [r.key, r.doc])) as Partial<ConfigDocuments>;
        const fallback = defaults();
        const merged = Object.fromEntries(CONFIG_DOCUMENTS.map((n) => [n, n in stored ? stored[n] : fallback[n]])) as ConfigDocuments;
        // the shipped documents must at least be well-formed; unit ids a site does not have are
        // reported by list() until an admin imports its own matrix
        const structural = configProblems(merged);
        if (structural.length > 0) throw invalid(structural);
        const at = clock().toISOString();
        const done: ConfigDocumentName[] = [];
        for (const name of CONFIG_DOCUMENTS) {
          if (name in stored) continue;
          const inserted = await tx
            .insert(config)
            .values({ key: name, v, doc: merged[name], updatedAt: at, updatedBy: 'bundled' })
            .onConflictDoNothing()
            .returning({ key: config.key });
          if (inserted.length === 0) continue;
          out.upsert('config', name, null, merged[name]);
          done.push(name);
        }
        return done;
      });
      adopt(await readRows(db));
      return written;
    },

    async current(on = db) {
      const now = clock().getTime();
      if (compiled && now - checkedAt < every) return compiled;
      const versions = await on.select({ key: config.key, v: config.v }).from(config).orderBy(asc(config.key));
      checkedAt = now;
      if (compiled && versionKey(versions) === compiledFor) return compiled;
      return adopt(await readRows(on));
    },

    async list() {
      const rows = await readRows(db);
      const docs = Object.fromEntries(rows.map((r) => [r.key, r.doc])) as ConfigDocuments;
      const complete = CONFIG_DOCUMENTS.every((n) => n in docs);
      return {
        documents: rows.map(toInfo),
        problems: complete ? configProblems(docs, await knownUnitIds(db)) : [{ field: '(root)', message: 'configuration incomplete' }],
      };
    },

    async get(name) {
      const [row] = await db.select().from(config).where(inArray(config.key, [name]));
      return row ? { ...toInfo(row), document: row.doc } : null;
    },

    async replace(patch, options) {
      const names = CONFIG_DOCUMENTS.filter((n) => patch[n] !== undefined);
      if (names.length === 0) {
        throw new HuyingError('invalid_args', 'no configuration document given', [{ field: '(root)', message: `give one or more of ${CONFIG_DOCUMENTS.join(', ')}` }]);
      }
      /** the full set with `patch` applied, validated; throws on a moved version or bad data */
      const validated = async (tx: DbOrTx, lock: boolean) => {
        const rows = await readRows(tx, lock);
        const stored = new Map(rows.map((r) => [r.key as ConfigDocumentName, r]));
        for (const [name, expected] of Object.entries(options.expectedVersions ?? {}) as [ConfigDocumentName, number][]) {
          const have = stored.get(name)?.v ?? null;
          if (have !== expected) {
            throw new HuyingError('conflict', `configuration document ${name} is at version ${have ?? 'none'}, not ${expected}: reload and apply your change again`, {
              field: name,
              expected,
              actual: have,
            });
          }
        }
        const merged = Object.fromEntries(CONFIG_DOCUMENTS.map((n) => [n, patch[n] !== undefined ? patch[n] : stored.get(n)?.doc])) as ConfigDocuments;
        const absent = CONFIG_DOCUMENTS.filter((n) => merged[n] === undefined);
        if (absent.length > 0) throw invalid(absent.map((n) => ({ field: `${n}:(root)`, message: 'no stored document to combine with: give it too' })));
        const problems = configProblems(merged, await knownUnitIds(tx));
        if (problems.length > 0) throw invalid(problems);
        return { merged, stored };
      };
      if (options.dryRun) {
        const { stored } = await validated(db, false);
        return names.flatMap((n) => (stored.has(n) ? [toInfo(stored.get(n)!)] : []));
      }
      const { result } = await deps.writeReplicated(db, async (tx, out) => {
        const v = out.v;
        const { merged } = await validated(tx, true);
        const at = clock().toISOString();
        for (const name of names) {
          const doc = merged[name];
          await tx
            .insert(config)
            .values({ key: name, v, doc, updatedAt: at, updatedBy: options.by })
            .onConflictDoUpdate({ target: config.key, set: { v, doc: sql`excluded.doc`, updatedAt: at, updatedBy: options.by } });
          out.upsert('config', name, null, doc);
        }
        return names.map((name): ConfigDocumentInfo => ({ name, v, updatedAt: at, updatedBy: options.by }));
      });
      // seen at once by this process
      adopt(await readRows(db));
      checkedAt = clock().getTime();
      return result;
    },
  };
}

function defaultLabels() {
  return { urban_management: DEMO_URBAN_MANAGEMENT_CLASSES, hotline_12345: DEMO_HOTLINE_LABELS };
}
