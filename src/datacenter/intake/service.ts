/**
 * The intake pipeline behind `POST /api/v1/intake/{source}` and the quarantine replay:
 *
 *   decode body → adapter (validate, normalise, convert coordinates) → claim the external
 *   reference → place in a grid → find near-duplicates → EventSink.createEvent → complete claim
 *
 * Bad input never disappears: the raw body goes to `intake_quarantine` with its field errors,
 * and the caller gets them back. An external reference is entered once: the claim is an
 * `INSERT … ON CONFLICT DO NOTHING` on the (system, id) primary key of `external_refs`, so of two
 * racing requests exactly one creates the event. The other — and any later retry — gets the
 * existing event back (`duplicate`), or a 409 when the same reference comes with a different
 * payload, or while the first request is still creating it. A claim orphaned by a crash between
 * the claim and the event is resolved on the next attempt: the sink is asked whether the event
 * exists (it keeps the reference too); if not, a claim older than `staleClaimMs` is taken over.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { HuyingError, type FieldError, type RpcError } from '../../core/errors';
import type { DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { externalRefs, intakeQuarantine, type QuarantineStatus } from '../store/intake-schema';
import type { SlaPolicy } from '../../core/sla/policy';
import { decodeBody, payloadHash, type RawBody } from './body';
import type { CategoryResolver } from './categories';
import type { AppealType, IntakeDraft, IntakeSourceName } from './draft';
import { findNearDuplicates, DEFAULT_DUPLICATE_RADIUS_METRES, DEFAULT_DUPLICATE_WINDOW_HOURS, type DuplicateCandidate, type NearDuplicate, type NearDuplicateOptions } from './duplicates';
import type { ClaimToComplete, CreatedEvent, EventSink, EventToCreate, IntakePlacement, NearQuery } from './event-sink';
import { createNearIndex } from './near-index';
import type { PlacementReference } from './reference';
import { adaptIntake, createIntakeContext } from './sources/index';

export type IntakeOutcome =
  | { kind: 'created'; eventId: string; caseNo: string; placement: IntakePlacement; duplicateCandidates: NearDuplicate[] }
  | { kind: 'duplicate'; eventId: string; caseNo: string }
  | { kind: 'invalid'; status: 400 | 415; error: RpcError & { details: FieldError[] }; quarantineId: string };

export interface SubmitMeta {
  remoteAddress?: string | null;
}

/** What became of one payload of a batch: an outcome, or the error a single submit would have thrown (409, 500, …). */
export type IntakeItemResult = { ok: true; outcome: IntakeOutcome } | { ok: false; error: unknown };

/** One payload of `submitMany`. */
export interface IntakeItem {
  body: RawBody;
  meta?: SubmitMeta;
}

/** The most payloads one set-based pass handles (a bigger batch is cut into passes of this size). */
export const INTAKE_BATCH = 64;

export interface QuarantineRecord {
  id: string;
  source: string;
  receivedAt: string;
  contentType: string | null;
  rawPayload: string;
  errors: FieldError[];
  status: QuarantineStatus;
  replayedEventId: string | null;
  fixedPayload: string | null;
  fixedContentType: string | null;
  replayAttempts: number;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
  remoteAddress: string | null;
}

export type QuarantineSummary = Omit<QuarantineRecord, 'rawPayload' | 'fixedPayload'> & { sizeBytes: number; preview: string };

export interface QuarantineQuery {
  status?: QuarantineStatus;
  source?: string;
  /** default 50, at most 200 */
  limit?: number;
  /** the `nextCursor` of the previous page */
  cursor?: string;
}

export interface IntakeServiceDeps {
  db: DbOrTx;
  sink: EventSink;
  /** grids and district code (see reference.ts: a cache that follows the reference version) */
  reference: () => Promise<PlacementReference>;
  clock?: () => Date;
  categories?: CategoryResolver;
  hotlinePolicies?: Readonly<Record<AppealType, SlaPolicy>>;
  duplicates?: NearDuplicateOptions;
  /** a claim or replay older than this is considered abandoned (default 30 s) */
  staleClaimMs?: number;
  /** the most payloads of one set-based pass (default INTAKE_BATCH) */
  passSize?: number;
}

export interface IntakeService {
  /**
   * One payload. Concurrent submits that arrive in the same event-loop turn are taken in
   * together as one batch (see `submitMany`); each still gets its own outcome or error.
   */
  submit(source: IntakeSourceName, body: RawBody, meta?: SubmitMeta): Promise<IntakeOutcome>;
  /**
   * Several payloads of one source, each validated and entered on its own (a bad one is
   * quarantined, a duplicate answered as such, a failing one gets its error) with the database
   * work done set-based: one quarantine insert, one claim statement, one near-duplicate query and
   * one event insert per pass of up to INTAKE_BATCH payloads. Answers in the given order.
   */
  submitMany(source: IntakeSourceName, items: readonly IntakeItem[]): Promise<IntakeItemResult[]>;
  /** Keeps a payload refused before any adapter saw it (a bulk body that is no list of payloads) in the quarantine. */
  refuse(source: IntakeSourceName, body: RawBody, status: 400 | 415, errors: FieldError[], meta?: SubmitMeta): Promise<IntakeOutcome>;
  listQuarantine(query?: QuarantineQuery): Promise<{ items: QuarantineSummary[]; nextCursor: string | null }>;
  getQuarantine(id: string): Promise<QuarantineRecord | null>;
  /** replays the stored payload, or `fix` (saved on the row first); invalid again → the row's errors are updated */
  replay(id: string, fix?: RawBody | null, actor?: string | null): Promise<IntakeOutcome>;
  discard(id: string, reason?: string | null, actor?: string | null): Promise<QuarantineRecord>;
}

/** PostgreSQL's text form of timestamptz (`2025-11-26 08:00:00.123+00`) as ISO 8601. */
export function isoFromPg(value: string): string;
export function isoFromPg(value: string | null): string | null;
export function isoFromPg(value: string | null): string | null {
  if (value === null) return null;
  const normal = value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(normal);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

type QuarantineRow = typeof intakeQuarantine.$inferSelect;

function toRecord(r: QuarantineRow): QuarantineRecord {
  return {
    id: r.id,
    source: r.source,
    receivedAt: isoFromPg(r.receivedAt),
    contentType: r.contentType,
    rawPayload: r.rawPayload,
    errors: r.errors,
    status: r.status,
    replayedEventId: r.replayedEventId,
    fixedPayload: r.fixedPayload,
    fixedContentType: r.fixedContentType,
    replayAttempts: r.replayAttempts,
    resolvedAt: isoFromPg(r.resolvedAt),
    resolvedBy: r.resolvedBy,
    note: r.note,
    remoteAddress: r.remoteAddress,
  };
}

function invalidError(errors: FieldError[]): RpcError & { details: FieldError[] } {
  return { code: 'invalid_args', message: errors.map((e) => `${e.field}: ${e.message}`).join('; '), details: errors };
}

const encodeCursor = (receivedAt: string, id: string) => Buffer.from(JSON.stringify([receivedAt, id])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new HuyingError('invalid_args', 'unknown cursor', [{ field: 'cursor', message: 'not a cursor this server gave out' }]);
}

export function placeDraft(draft: IntakeDraft, ref: PlacementReference): IntakePlacement {
  const none = { districtCode: ref.districtCode, townCode: null, villageCode: null, gridCode: null };
  if (draft.location) {
    const hit = ref.locator.locate(draft.location[0], draft.location[1]);
    return hit ? { area: { districtCode: ref.districtCode, ...hit }, outsideDistrict: false, method: 'point' } : { area: none, outsideDistrict: true, method: 'point' };
  }
  if (draft.declaredGridCode) {
    const hit = ref.locator.byCode(draft.declaredGridCode);
    if (hit) return { area: { districtCode: ref.districtCode, ...hit }, outsideDistrict: false, method: 'declared_grid' };
  }
  return { area: none, outsideDistrict: false, method: 'none' };
}

export function createIntakeService(deps: IntakeServiceDeps): IntakeService {
  const { db, sink } = deps;
  const clock = deps.clock ?? (() => new Date());
  const staleMs = deps.staleClaimMs ?? 30_000;
  const passSize = Math.max(1, deps.passSize ?? INTAKE_BATCH);
  const radius = deps.duplicates?.radiusMetres ?? DEFAULT_DUPLICATE_RADIUS_METRES;
  const windowHours = deps.duplicates?.windowHours ?? DEFAULT_DUPLICATE_WINDOW_HOURS;

  const context = (now: Date) =>
    createIntakeContext({
      now,
      ...(deps.categories ? { categories: deps.categories } : {}),
      ...(deps.hotlinePolicies ? { hotlinePolicies: deps.hotlinePolicies } : {}),
    });

  /** Placement, duplicates and the event itself. */
  async function create(
    draft: IntakeDraft,
    claim?: ClaimToComplete,
  ): Promise<{ eventId: string; caseNo: string; placement: IntakePlacement; duplicateCandidates: NearDuplicate[]; claimCompleted: boolean }> {
    const ref = await deps.reference();
    const placement = placeDraft(draft, ref);
    let duplicateCandidates: NearDuplicate[] = [];
    if (draft.location && draft.categoryCode) {
      const at = Date.parse(draft.reportedAt);
      const span = windowHours * 3_600_000;
      const near = await sink.openEventsNear({ lon: draft.location[0], lat: draft.location[1], radiusMetres: radius, from: new Date(at - span), to: new Date(at + span) });
      duplicateCandidates = findNearDuplicates(draft, near, deps.duplicates);
    }
    const created = await sink.createEvent(draft, placement, duplicateCandidates, claim);
    return { eventId: created.eventId, caseNo: created.caseNo, placement, duplicateCandidates, claimCompleted: created.claimCompleted === true };
  }

  async function completeClaim(system: string, refId: string, eventId: string, caseNo: string): Promise<void> {
    await db
      .update(externalRefs)
      .set({ eventId, caseNo, createdAt: sql`now()` })
      .where(and(eq(externalRefs.system, system), eq(externalRefs.refId, refId), isNull(externalRefs.eventId)));
  }

  /**
   * The references whose claim this process holds while their event is being created, with the
   * promise that settles when that creation has finished (created or failed). A repeat of such a
   * reference (a sender retrying while its first request is still being written, or concurrent
   * requests split over two passes) waits for it and then answers as a request arriving after it
   * would (`duplicate`), instead of `409 … retry`. Claims held by another process still answer 409.
   */
  const inFlight = new Map<string, Promise<void>>();
  function holdInFlight(keys: readonly string[], until: Promise<unknown>): void {
    const settled = until.then(
      () => {},
      () => {},
    );
    for (const k of keys) inFlight.set(k, settled);
    void settled.then(() => {
      for (const k of keys) if (inFlight.get(k) === settled) inFlight.delete(k);
    });
  }

  /** Creates the event for a draft with an external reference, at most once per reference. */
  async function createOnce(source: IntakeSourceName, draft: IntakeDraft, hash: string, waited = false): Promise<IntakeOutcome> {
    const ref = draft.externalRef!;
    const pending = waited ? undefined : inFlight.get(refKey(ref));
    if (pending) {
      await pending;
      return createOnce(source, draft, hash, true);
    }
    const key = and(eq(externalRefs.system, ref.system), eq(externalRefs.refId, ref.id));
    const claimed = await db
      .insert(externalRefs)
      .values({ system: ref.system, refId: ref.id, source, payloadHash: hash })
      .onConflictDoNothing({ target: [externalRefs.system, externalRefs.refId] })
      .returning({ claimedAt: externalRefs.claimedAt });
    let ourClaim = claimed[0]?.claimedAt ?? null;

    if (ourClaim === null) {
      const [row] = await db.select().from(externalRefs).where(key);
      if (!row) throw new HuyingError('conflict', `external reference ${ref.system}/${ref.id} is being entered; retry`);
      if (row.payloadHash !== hash) {
        throw new HuyingError(
          'conflict',
          `external reference ${ref.system}/${ref.id} was already entered with a different payload${row.eventId ? ` as event ${row.eventId}` : ''}; an update to an entered record is not an intake`,
          { field: 'externalRef', eventId: row.eventId, caseNo: row.caseNo },
        );
      }
      if (row.eventId && row.caseNo) return { kind: 'duplicate', eventId: row.eventId, caseNo: row.caseNo };
      const existing = await sink.findByExternalRef(ref);
      if (existing) {
        await completeClaim(ref.system, ref.id, existing.eventId, existing.caseNo);
        return { kind: 'duplicate', ...existing };
      }
      const taken = await db
        .update(externalRefs)
        .set({ claimedAt: sql`now()` })
        .where(and(key, isNull(externalRefs.eventId), eq(externalRefs.claimedAt, row.claimedAt), lt(externalRefs.claimedAt, sql`now() - (${staleMs} * interval '1 millisecond')`)))
        .returning({ claimedAt: externalRefs.claimedAt });
      ourClaim = taken[0]?.claimedAt ?? null;
      if (ourClaim === null) throw new HuyingError('conflict', `external reference ${ref.system}/${ref.id} is being entered by another request; retry`);
    }

    let created: Awaited<ReturnType<typeof create>>;
    try {
      const creating = create(draft, { system: ref.system, refId: ref.id });
      holdInFlight([refKey(ref)], creating);
      created = await creating;
    } catch (err) {
      // release our claim so a retry can enter it
      await releaseClaim(ref.system, ref.id, ourClaim);
      throw err;
    }
    // the events store completes the claim in the event's own transaction; a sink that does not is helped here
    if (!created.claimCompleted) await completeClaim(ref.system, ref.id, created.eventId, created.caseNo);
    const { claimCompleted: _done, ...outcome } = created;
    return { kind: 'created', ...outcome };
  }

  /** Decode, adapt and create; `onInvalid` decides what a refusal does (a new row, or an update on replay). */
  async function run(source: IntakeSourceName, body: RawBody, onInvalid: (errors: FieldError[]) => Promise<string>): Promise<IntakeOutcome> {
    const decoded = decodeBody(body);
    if (!decoded.ok) return { kind: 'invalid', status: decoded.status, error: invalidError(decoded.errors), quarantineId: await onInvalid(decoded.errors) };
    const adapted = adaptIntake(source, decoded.value, context(clock()));
    if (!adapted.ok) {
      const errors = adapted.error.details as FieldError[];
      return { kind: 'invalid', status: 400, error: invalidError(errors), quarantineId: await onInvalid(errors) };
    }
    const draft = adapted.value;
    if (draft.externalRef) return createOnce(source, draft, payloadHash(decoded.value));
    const { claimCompleted: _unused, ...outcome } = await create(draft);
    return { kind: 'created', ...outcome };
  }

  async function getRow(id: string): Promise<QuarantineRow | null> {
    const [row] = await db.select().from(intakeQuarantine).where(eq(intakeQuarantine.id, id));
    return row ?? null;
  }

  async function notPending(id: string): Promise<never> {
    const row = await getRow(id);
    if (!row) throw new HuyingError('not_found', `no quarantined payload ${id}`);
    if (row.status !== 'pending') throw new HuyingError('conflict', `quarantined payload ${id} is already ${row.status}`, { status: row.status, replayedEventId: row.replayedEventId });
    throw new HuyingError('conflict', `quarantined payload ${id} is being replayed; retry`);
  }

  const notReplaying = or(isNull(intakeQuarantine.replayStartedAt), lt(intakeQuarantine.replayStartedAt, sql`now() - (${staleMs} * interval '1 millisecond')`));

  /** Quarantines several refused payloads in one statement; their row ids in the given order. */
  async function quarantineMany(source: string, refused: readonly { body: RawBody; errors: FieldError[]; meta: SubmitMeta }[]): Promise<string[]> {
    const ids = refused.map(() => randomUUID());
    await db.insert(intakeQuarantine).values(
      refused.map((r, k) => ({ id: ids[k]!, source, contentType: r.body.contentType, rawPayload: r.body.text, errors: r.errors, remoteAddress: r.meta.remoteAddress ?? null })),
    );
    return ids;
  }

  const refKey = (r: { system: string; id: string }) => `${r.system}\u0000${r.id}`;

  /** The near-duplicate query of a draft (null: nothing to compare). */
  function nearQuery(draft: IntakeDraft): NearQuery | null {
    if (!draft.location || !draft.categoryCode) return null;
    const at = Date.parse(draft.reportedAt);
    const span = windowHours * 3_600_000;
    return { lon: draft.location[0], lat: draft.location[1], radiusMetres: radius, from: new Date(at - span), to: new Date(at + span) };
  }

  interface Ready {
    i: number;
    draft: IntakeDraft;
    hash: string;
    /** our claim's time (drafts with an external reference) */
    claimedAt?: string;
  }

  /**
   * The near-duplicate search of a set of drafts, in one round trip when the sink can: per draft
   * (by its index `i`), the open events near it, or null when it has nothing to compare (no
   * position or no category). It needs no claim, so a pass runs it alongside the claim statement.
   */
  async function searchNear(drafts: readonly Ready[]): Promise<Map<number, DuplicateCandidate[] | null>> {
    const queries = drafts.map((r) => nearQuery(r.draft));
    const asked = queries.flatMap((q) => (q ? [q] : []));
    const found =
      asked.length === 0 ? [] : sink.openEventsNearMany && asked.length > 1 ? await sink.openEventsNearMany(asked) : await Promise.all(asked.map((q) => sink.openEventsNear(q)));
    let k = 0;
    return new Map(drafts.map((r, w) => [r.i, queries[w] ? found[k++]! : null]));
  }

  /**
   * Places and creates a set of drafts (claims taken, near-duplicates searched) as `create` would
   * one after another, in their order. A draft's near-duplicates are the open events the search
   * found plus the drafts before it in the set — their event ids are chosen here, so the later of
   * two near reports names the earlier exactly as if it had come after it, without waiting for the
   * earlier to be written. The events are created in ONE `createEvents` (one statement on the
   * writer's critical path), or one by one, in order, when the sink cannot or the set fails; then
   * only the culprit fails, and a later draft no longer names an earlier one that failed.
   */
  async function createSet(drafts: readonly Ready[], near: ReadonlyMap<number, DuplicateCandidate[] | null>, results: IntakeItemResult[]): Promise<void> {
    const ref = await deps.reference();
    const earlier = createNearIndex(radius);
    const items: (EventToCreate & { id: string })[] = drafts.map((r) => {
      const id = randomUUID();
      const found = near.get(r.i);
      const duplicates = found ? findNearDuplicates(r.draft, [...found, ...earlier.around(r.draft)], deps.duplicates) : [];
      earlier.add(id, r.draft);
      const claim = r.draft.externalRef ? { system: r.draft.externalRef.system, refId: r.draft.externalRef.id } : undefined;
      return { id, draft: r.draft, placement: placeDraft(r.draft, ref), duplicates, ...(claim ? { claim } : {}) };
    });
    const settle = async (r: Ready, item: EventToCreate, c: CreatedEvent & { claimCompleted?: boolean }) => {
      if (item.claim && !c.claimCompleted) await completeClaim(item.claim.system, item.claim.refId, c.eventId, c.caseNo);
      results[r.i] = { ok: true, outcome: { kind: 'created', eventId: c.eventId, caseNo: c.caseNo, placement: item.placement, duplicateCandidates: [...item.duplicates] } };
    };
    const fail = async (r: Ready, item: EventToCreate, error: unknown) => {
      if (item.claim && r.claimedAt !== undefined) await releaseClaim(item.claim.system, item.claim.refId, r.claimedAt);
      results[r.i] = { ok: false, error };
    };
    let created: (CreatedEvent & { claimCompleted?: boolean })[] | null = null;
    if (sink.createEvents && items.length > 1) {
      try {
        created = await sink.createEvents(items);
      } catch {
        created = null; // nothing was created: one by one below, so the culprit alone fails
      }
    }
    if (created) {
      const done = created;
      await Promise.all(drafts.map((r, w) => settle(r, items[w]!, done[w]!).catch((error: unknown) => fail(r, items[w]!, error))));
      return;
    }
    const failed = new Set<string>();
    for (const [w, r] of drafts.entries()) {
      const { id, ...rest } = items[w]!;
      const item = { ...rest, duplicates: rest.duplicates.filter((d) => !failed.has(d.eventId)) };
      try {
        await settle(r, item, await sink.createEvent(item.draft, item.placement, item.duplicates, item.claim, id));
      } catch (error) {
        failed.add(id);
        await fail(r, item, error);
      }
    }
  }

  async function releaseClaim(system: string, refId: string, claimedAt: string): Promise<void> {
    await db
      .delete(externalRefs)
      .where(and(eq(externalRefs.system, system), eq(externalRefs.refId, refId), isNull(externalRefs.eventId), eq(externalRefs.claimedAt, claimedAt)))
      .catch(() => {});
  }

  /** One set-based pass over at most INTAKE_BATCH payloads (see submitMany). */
  async function pass(source: IntakeSourceName, items: readonly IntakeItem[]): Promise<IntakeItemResult[]> {
    const results: IntakeItemResult[] = new Array<IntakeItemResult>(items.length);
    const ctx = context(clock());
    const refused: { i: number; status: 400 | 415; body: RawBody; errors: FieldError[]; meta: SubmitMeta }[] = [];
    const ready: Ready[] = [];
    items.forEach(({ body, meta = {} }, i) => {
      const decoded = decodeBody(body);
      if (!decoded.ok) return void refused.push({ i, status: decoded.status, body, errors: decoded.errors, meta });
      const adapted = adaptIntake(source, decoded.value, ctx);
      if (!adapted.ok) return void refused.push({ i, status: 400, body, errors: adapted.error.details as FieldError[], meta });
      ready.push({ i, draft: adapted.value, hash: adapted.value.externalRef ? payloadHash(decoded.value) : '' });
    });

    const work: Promise<void>[] = [];
    if (refused.length > 0) {
      work.push(
        quarantineMany(source, refused).then(
          (ids) => refused.forEach((r, k) => (results[r.i] = { ok: true, outcome: { kind: 'invalid', status: r.status, error: invalidError(r.errors), quarantineId: ids[k]! } })),
          (error: unknown) => refused.forEach((r) => (results[r.i] = { ok: false, error })),
        ),
      );
    }

    // the first payload of each external reference claims it, all in one statement; a repeat within
    // the batch, and a reference someone else holds, go the single way afterwards (a retry, a
    // conflict, a stale claim), exactly as a request arriving after this one would
    const seen = new Set<string>();
    const first: Ready[] = [];
    const later: Ready[] = [];
    for (const r of ready) {
      const ext = r.draft.externalRef;
      if (ext && seen.has(refKey(ext))) later.push(r);
      else {
        if (ext) seen.add(refKey(ext));
        first.push(r);
      }
    }
    const withRef = first.filter((r) => r.draft.externalRef);
    const toCreate = first.filter((r) => !r.draft.externalRef);
    // the near-duplicate search needs no claim: it runs alongside the claim statement (a draft
    // that loses its claim goes the single way below and searches again then)
    const near = searchNear(first);
    near.catch(() => {}); // answered below, once the claims are known
    if (withRef.length > 0) {
      try {
        // the claims as one JSON parameter, not drizzle's insert builder: its VALUES of 100 rows (every
        // column, defaults as DEFAULT) took ~80 us an order to build, 9 % of the data center's CPU in a bulk intake profile
        const claims = JSON.stringify(withRef.map((r) => ({ system: r.draft.externalRef!.system, ref_id: r.draft.externalRef!.id, payload_hash: r.hash })));
        const claimed = rowsOf<{ system: string; ref_id: string; claimed_at: string }>(
          await db.execute(sql`
            INSERT INTO ${externalRefs} (system, ref_id, source, payload_hash)
            SELECT c.system, c.ref_id, ${source}::text, c.payload_hash FROM jsonb_to_recordset(${claims}::jsonb) AS c(system text, ref_id text, payload_hash text)
            ON CONFLICT (system, ref_id) DO NOTHING
            RETURNING system, ref_id, claimed_at::text AS claimed_at`),
        );
        const ours = new Map(claimed.map((c) => [refKey({ system: c.system, id: c.ref_id }), c.claimed_at]));
        for (const r of withRef) {
          const at = ours.get(refKey(r.draft.externalRef!));
          if (at === undefined) later.push(r);
          else toCreate.push({ ...r, claimedAt: at });
        }
      } catch (error) {
        for (const r of withRef) results[r.i] = { ok: false, error };
      }
    }
    if (toCreate.length > 0) {
      toCreate.sort((a, b) => a.i - b.i);
      work.push(
        near
          .then((found) => createSet(toCreate, found, results))
          .catch(async (error: unknown) => {
            // placement or the near-duplicate search failed: the drafts not yet answered get the error, and their claims go back
            for (const r of toCreate) {
              if (results[r.i]) continue;
              results[r.i] = { ok: false, error };
              if (r.draft.externalRef && r.claimedAt !== undefined) await releaseClaim(r.draft.externalRef.system, r.draft.externalRef.id, r.claimedAt);
            }
          }),
      );
    }
    const claimedKeys = toCreate.filter((r) => r.draft.externalRef).map((r) => refKey(r.draft.externalRef!));
    if (claimedKeys.length > 0) holdInFlight(claimedKeys, Promise.allSettled(work));
    await Promise.all(work);
    // in arrival order, each after the batch: what a request coming next would get
    later.sort((a, b) => a.i - b.i);
    for (const r of later) {
      try {
        results[r.i] = { ok: true, outcome: await createOnce(source, r.draft, r.hash) };
      } catch (error) {
        results[r.i] = { ok: false, error };
      }
    }
    return results;
  }

  async function submitMany(source: IntakeSourceName, items: readonly IntakeItem[]): Promise<IntakeItemResult[]> {
    const out: IntakeItemResult[] = [];
    for (let start = 0; start < items.length; start += passSize) out.push(...(await pass(source, items.slice(start, start + passSize))));
    return out;
  }

  // concurrent single submits of a turn, gathered per source and taken in as one batch
  let gathering: Map<IntakeSourceName, { item: IntakeItem; resolve: (o: IntakeOutcome) => void; reject: (e: unknown) => void }[]> | null = null;
  function flushGathered(): void {
    const groups = gathering!;
    gathering = null;
    for (const [source, waiting] of groups) {
      for (let start = 0; start < waiting.length; start += passSize) {
        const chunk = waiting.slice(start, start + passSize);
        pass(
          source,
          chunk.map((w) => w.item),
        ).then(
          (results) =>
            chunk.forEach((w, k) => {
              const r = results[k]!;
              if (r.ok) w.resolve(r.outcome);
              else w.reject(r.error);
            }),
          (error: unknown) => chunk.forEach((w) => w.reject(error)),
        );
      }
    }
  }

  return {
    submit(source, body, meta = {}) {
      return new Promise<IntakeOutcome>((resolve, reject) => {
        if (!gathering) {
          gathering = new Map();
          // setImmediate: the requests whose bytes arrived in this turn's I/O join the batch
          setImmediate(flushGathered);
        }
        let group = gathering.get(source);
        if (!group) gathering.set(source, (group = []));
        group.push({ item: { body, meta }, resolve, reject });
      });
    },

    submitMany,

    async refuse(source, body, status, errors, meta = {}) {
      const [quarantineId] = await quarantineMany(source, [{ body, errors, meta }]);
      return { kind: 'invalid', status, error: invalidError(errors), quarantineId: quarantineId! };
    },

    async listQuarantine(q = {}) {
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
      const conds = [];
      if (q.status) conds.push(eq(intakeQuarantine.status, q.status));
      if (q.source) conds.push(eq(intakeQuarantine.source, q.source));
      if (q.cursor) {
        const [at, id] = decodeCursor(q.cursor);
        conds.push(sql`(${intakeQuarantine.receivedAt}, ${intakeQuarantine.id}) < (${at}::timestamptz, ${id})`);
      }
      const rows = await db
        .select()
        .from(intakeQuarantine)
        .where(conds.length > 0 ? and(...conds) : undefined)
        .orderBy(desc(intakeQuarantine.receivedAt), desc(intakeQuarantine.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const items = page.map((r) => {
        const { rawPayload, fixedPayload: _f, ...rest } = toRecord(r);
        return { ...rest, sizeBytes: Buffer.byteLength(rawPayload, 'utf8'), preview: rawPayload.slice(0, 200) };
      });
      const last = page.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.receivedAt, last.id) : null };
    },

    async getQuarantine(id) {
      const row = await getRow(id);
      return row ? toRecord(row) : null;
    },

    async replay(id, fix = null, actor = null) {
      const [row] = await db
        .update(intakeQuarantine)
        .set({
          replayStartedAt: sql`now()`,
          ...(fix ? { fixedPayload: fix.text, fixedContentType: fix.contentType } : {}),
        })
        .where(and(eq(intakeQuarantine.id, id), eq(intakeQuarantine.status, 'pending'), notReplaying))
        .returning();
      if (!row) return notPending(id);
      const source = row.source as IntakeSourceName;
      const body: RawBody = row.fixedPayload !== null ? { text: row.fixedPayload, contentType: row.fixedContentType } : { text: row.rawPayload, contentType: row.contentType };
      let outcome: IntakeOutcome;
      try {
        outcome = await run(source, body, async (errors) => {
          await db
            .update(intakeQuarantine)
            .set({ errors, replayAttempts: sql`${intakeQuarantine.replayAttempts} + 1`, replayStartedAt: null })
            .where(eq(intakeQuarantine.id, id));
          return id;
        });
      } catch (err) {
        await db.update(intakeQuarantine).set({ replayStartedAt: null }).where(eq(intakeQuarantine.id, id));
        throw err;
      }
      if (outcome.kind !== 'invalid') {
        await db
          .update(intakeQuarantine)
          .set({ status: 'replayed', replayedEventId: outcome.eventId, resolvedAt: sql`now()`, resolvedBy: actor, replayStartedAt: null })
          .where(eq(intakeQuarantine.id, id));
      }
      return outcome;
    },

    async discard(id, reason = null, actor = null) {
      const [row] = await db
        .update(intakeQuarantine)
        .set({ status: 'discarded', resolvedAt: sql`now()`, resolvedBy: actor, note: reason })
        .where(and(eq(intakeQuarantine.id, id), eq(intakeQuarantine.status, 'pending'), notReplaying))
        .returning();
      if (!row) return notPending(id);
      return toRecord(row);
    },
  };
}
