/**
 * Creating an event inside a replicated transaction: its case number from the per-day counter,
 * the `EventRecord` (the intake's own mapping, `eventRecordFromDraft`), the first audit entry
 * (`report`, by whoever reported it: the source system, or the officer who took the call), the
 * `file` command when the source needs no verification (intake-policy.ts), the scheduler's next
 * check, and the rows the change log ships — all or nothing.
 *
 * Everything that can refuse (decide) runs before the first write, so a refusal leaves the
 * transaction clean for the caller to carry on or roll back.
 */
import { raiseAlertFor } from '../wall';
import { randomUUID } from 'node:crypto';
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { HuyingError } from '../../core/errors';
import type { EventRecord } from '../../core/events/types';
import { effectiveRules } from '../../core/taxonomy/tree';
import { decide } from '../../core/workflow/decide';
import type { DomainConfig } from '../../core/workflow/domain-config';
import type { AuditEntry } from '../../core/workflow/event';
import type { WorkflowError } from '../../core/workflow/errors';
import type { Actor } from '../../core/workflow/roles';
import type { IntakeDraft } from '../intake/draft';
import type { NearDuplicate } from '../intake/duplicates';
import { eventRecordFromDraft, formatCaseNo, type ClaimToComplete, type IntakePlacement } from '../intake/event-sink';
import { externalRefs } from '../store/intake-schema';
import { audit, caseNoCounters, events, type EventIntakeFacts } from '../store/events-schema';
import { rowsOf } from '../store/migration';
import type { ReplicationOut, Tx } from './replication';
import { auditColumns, auditKey, eventColumns, eventScope, nextCheckAt } from './rows';

export const CASE_NO_PREFIX = 'HD';
/** Stands in for the case number while an event is decided in memory. */
export const PENDING_CASE_NO = 'pending';

/** The next case number of the local (UTC+8) day of `at` (HD + YYYYMMDD + 4-digit sequence), taken on its own. */
export async function nextCaseNo(tx: Tx, at: Date, prefix = CASE_NO_PREFIX): Promise<string> {
  const day = formatCaseNo(at, 0, '').slice(0, 8);
  const [row] = await tx
    .insert(caseNoCounters)
    .values({ day, last: 1 })
    .onConflictDoUpdate({ target: caseNoCounters.day, set: { last: sql`${caseNoCounters.last} + 1` } })
    .returning({ last: caseNoCounters.last });
  return formatCaseNo(at, row!.last, prefix);
}

export interface NewEventInput {
  draft: IntakeDraft;
  placement: IntakePlacement;
  duplicates: readonly NearDuplicate[];
  /** who reports it: the source system's actor, or the officer entering a call */
  reporter: Actor;
  /** file it at once (立案), as `reporter` */
  file: boolean;
  now: Date;
  ctx: DomainConfig;
  /** default: a random UUID */
  id?: string;
}

export interface PreparedEvent {
  record: EventRecord;
  entries: AuditEntry[];
  facts: EventIntakeFacts;
  nextCheckAt: Date | null;
}

/**
 * The record and audit entries of a new event, decided in memory (no writes). Fails with
 * decide's error when `file` is asked and the reporter may not file.
 */
export function prepareEvent(input: NewEventInput, caseNo: string): { ok: true; value: PreparedEvent } | { ok: false; error: WorkflowError } {
  const { draft, placement, duplicates, reporter, now, ctx } = input;
  const id = input.id ?? randomUUID();
  const code = draft.categoryCode;
  const requiresCheck = code ? (effectiveRules(ctx.taxonomy, code)?.requiresCheck ?? true) : true;
  const base = eventRecordFromDraft(draft, placement, duplicates, { id, caseNo, createdAt: now, requiresCheck });
  const at = now.toISOString();
  const report: AuditEntry = {
    eventId: id,
    seq: 1,
    at,
    actorId: reporter.id,
    actorName: reporter.name,
    role: reporter.role,
    organisationId: reporter.organisationId,
    command: 'report',
    from: 'reported',
    to: 'reported',
    reason: null,
    reasonCode: null,
    attachments: draft.attachments,
    payload: {
      source: draft.source,
      externalRef: draft.externalRef,
      placement: placement.method,
      outsideDistrict: placement.outsideDistrict,
      duplicateCandidates: duplicates.map((d) => d.eventId),
    },
  };
  let workflow = { ...base.workflow, version: 1, updatedAt: at };
  const entries: AuditEntry[] = [report];
  if (input.file) {
    const filed = decide(workflow, { type: 'file', ...(code ? { categoryCode: code } : {}) }, reporter, now, ctx);
    if (!filed.ok) return { ok: false, error: filed.error };
    workflow = filed.next;
    entries.push(filed.audit);
  }
  const record: EventRecord = { ...base, workflow };
  const facts: EventIntakeFacts = {
    placement: placement.method,
    sourceCategory: draft.sourceCategory,
    appealType: draft.appealType,
    sourceClocks: draft.sourceClocks,
    sourceFields: draft.sourceFields,
  };
  return { ok: true, value: { record, entries, facts, nextCheckAt: nextCheckAt(workflow, now, ctx) } };
}

/** The prepared event under its case number (taken only once nothing can refuse any more). */
export function withCaseNo(prepared: PreparedEvent, caseNo: string): PreparedEvent {
  return { ...prepared, record: { ...prepared.record, caseNo } };
}

/** `"col_a", "col_b", …` (also as `r."col_a", …`) and the JSON keys of a table's columns, from the drizzle table. */
function columnsOf(table: typeof events | typeof audit): { list: SQL; qualified: SQL; names: Record<string, string> } {
  const cols = getTableColumns(table) as Record<string, { name: string }>;
  const names = Object.fromEntries(Object.entries(cols).map(([key, c]) => [key, c.name]));
  const quoted = Object.values(names).map((n) => `"${n}"`);
  return { list: sql.raw(quoted.join(', ')), qualified: sql.raw(quoted.map((q) => `r.${q}`).join(', ')), names };
}
const EVENT_COLUMNS = columnsOf(events);
const AUDIT_COLUMNS = columnsOf(audit);

/**
 * The SELECT list of a set insert into `table` from `jsonb_to_record(…) AS r(…)`: each column
 * from `r`, except those given as expressions; and the record's column definitions (name and SQL
 * type, from the drizzle table) for the columns read from the JSON. Reading only these keys
 * leaves the rest of the JSON (the document, handled apart) untouched — where
 * `jsonb_populate_record(null::t, j || jsonb_build_object(…))` rebuilt the whole row's JSON, the
 * document included, and converted every key, for every row.
 */
function setInsertShape(table: typeof events | typeof audit, computed: readonly string[]): { defs: SQL; select: (exprs: Record<string, SQL>) => SQL } {
  const cols = Object.values(getTableColumns(table) as Record<string, { name: string; getSQLType(): string }>);
  const defs = sql.raw(
    cols
      .filter((c) => !computed.includes(c.name))
      .map((c) => `"${c.name}" ${c.getSQLType()}`)
      .join(', '),
  );
  return {
    defs,
    select: (exprs) =>
      sql.join(
        cols.map((c) => {
          if (!computed.includes(c.name)) return sql.raw(`r."${c.name}"`);
          const e = exprs[c.name];
          if (!e) throw new HuyingError('internal', `setInsertShape: no expression for ${c.name}`);
          return e;
        }),
        sql`, `,
      ),
  };
}
const EVENT_SET = setInsertShape(events, ['v', 'case_no', 'doc']);
const AUDIT_SET = setInsertShape(audit, ['v']);

/** A row as JSON keyed by column name (what jsonb_populate_record reads). */
const asColumnJson = (row: Record<string, unknown>, names: Record<string, string>) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [names[k] ?? k, v])));

/** `asColumnJson` of a row whose `doc` is already JSON text (`docJson`, JSON.stringify of the doc): spliced in, not serialised again. */
function asColumnJsonWithDoc(row: Record<string, unknown>, names: Record<string, string>, docJson: string): string {
  const { doc: _doc, ...rest } = row;
  const others = asColumnJson(rest, names);
  const doc = `${JSON.stringify(names.doc ?? 'doc')}:${docJson}`;
  return others === '{}' ? `{${doc}}` : `{${doc},${others.slice(1)}`;
}

/** the member a prepared record's JSON text carries until the statement gives it its case number */
const PENDING_CASE_NO_MEMBER = `"caseNo":${JSON.stringify(PENDING_CASE_NO)}`;

/**
 * JSON.stringify of `withCaseNo(prepared, caseNo).record`, made from `json` = JSON.stringify(prepared.record)
 * (whose caseNo is PENDING_CASE_NO) by replacing that member's value: withCaseNo keeps the member where it
 * is. A string value cannot hold the member's text (its quotes would be escaped), so the member is found
 * exactly when the text holds it once; otherwise (a nested member of the same text) undefined, and the
 * record is serialised again.
 */
export function textWithCaseNo(json: string, caseNo: string): string | undefined {
  const at = json.indexOf(PENDING_CASE_NO_MEMBER);
  if (at < 0 || json.includes(PENDING_CASE_NO_MEMBER, at + 1)) return undefined;
  return `${json.slice(0, at)}"caseNo":${JSON.stringify(caseNo)}${json.slice(at + PENDING_CASE_NO_MEMBER.length)}`;
}

/**
 * Writes a prepared event under its case number in ONE statement — the day's next case number,
 * the event row (its document carrying that number) and its audit rows — and reports them to the
 * change log. One statement, because replicated writes run one after another (group commit, see
 * src/datacenter/sync/write.ts): each round trip saved there is intake throughput. With `claim`,
 * the same statement completes intake's external-reference claim, so event and claim commit
 * together. Returns the event as written.
 */
export async function insertNewEvent(tx: Tx, out: ReplicationOut, prepared: PreparedEvent, prefix = CASE_NO_PREFIX, claim?: ClaimToComplete): Promise<PreparedEvent> {
  const { record, entries, facts } = prepared;
  const scope = eventScope(record);
  const v = out.v;
  const day = formatCaseNo(new Date(record.createdAt), 0, '').slice(0, 8);
  const eventRow = asColumnJson({ id: record.id, intake: facts, ...eventColumns(record, v, prepared.nextCheckAt) }, EVENT_COLUMNS.names);
  const auditRows = '[' + entries.map((e) => asColumnJson(auditColumns(e, v, scope), AUDIT_COLUMNS.names)).join(',') + ']';
  let caseNo: string;
  try {
    const result = await tx.execute(sql`
      WITH n AS (
        INSERT INTO ${caseNoCounters} AS c (day, last) VALUES (${day}, 1)
        ON CONFLICT (day) DO UPDATE SET last = c.last + 1
        RETURNING last
      ), no AS (
        SELECT ${prefix} || ${day} || CASE WHEN last < 10000 THEN lpad(last::text, 4, '0') ELSE last::text END AS case_no FROM n
      ), src AS (
        SELECT ${eventRow}::jsonb AS j
      ), e AS (
        INSERT INTO ${events} (${EVENT_COLUMNS.list})
        SELECT ${EVENT_COLUMNS.qualified}
        FROM no, src, jsonb_populate_record(null::events, src.j || jsonb_build_object('case_no', no.case_no, 'doc', jsonb_set(src.j -> 'doc', '{caseNo}', to_jsonb(no.case_no)))) AS r
        RETURNING case_no
      ), a AS (
        INSERT INTO ${audit} (${AUDIT_COLUMNS.list})
        SELECT ${AUDIT_COLUMNS.qualified} FROM jsonb_populate_recordset(null::audit, ${auditRows}::jsonb) AS r
        RETURNING 1
      )${
        claim
          ? sql`, claim AS (
        UPDATE ${externalRefs} SET event_id = ${record.id}, case_no = (SELECT case_no FROM no), created_at = now()
        WHERE system = ${claim.system} AND ref_id = ${claim.refId} AND event_id IS NULL
        RETURNING 1
      )`
          : sql``
      }
      SELECT case_no, (SELECT count(*) FROM a)::int AS audit_rows FROM e
    `);
    const [row] = rowsOf<{ case_no: string; audit_rows: number }>(result);
    if (!row || row.audit_rows !== entries.length) throw new HuyingError('internal', 'the event was not written');
    caseNo = row.case_no;
  } catch (err) {
    if (isUniqueViolation(err, 'events_external_ref_key')) {
      throw new HuyingError('conflict', `external reference ${record.externalRef?.system}/${record.externalRef?.id} is already entered`, { field: 'externalRef' });
    }
    throw err;
  }
  const written = withCaseNo(prepared, caseNo);
  out.upsert('events', record.id, scope, written.record);
  for (const e of entries) out.upsert('audit', auditKey(e), scope, e);
  // a one-key call or a critical event takes over the walls until a workstation acknowledges it
  raiseAlertFor(out, written.record, new Date(record.createdAt));
  return written;
}

/** One event of `insertNewEvents`: prepared, with intake's external-reference claim to complete if any. */
export interface NewEventToInsert {
  prepared: PreparedEvent;
  claim?: ClaimToComplete;
}

/**
 * Several prepared events encoded for `writeEncodedEvents`: their rows and audit rows as JSON
 * text, made outside the write transaction (the version is set by the statement), so that the
 * serialisation of a set does not run on the group-commit writer's critical path.
 */
export interface EncodedNewEvents {
  items: readonly NewEventToInsert[];
  /** the local (UTC+8) day of their `createdAt`: one case-number counter row */
  day: string;
  /** the event rows as JSON objects, comma-separated (each with its claim to complete, if any) */
  eventRows: string;
  /** the audit rows as JSON objects, comma-separated */
  auditRows: string;
  auditCount: number;
  /**
   * per item, its record's JSON text (caseNo still PENDING_CASE_NO; null when it is not) and its audit entries'
   * texts, as spliced into the rows above: the replicated rows reuse them instead of serialising the documents again
   */
  texts: { record: string | null; entries: string[] }[];
}

/** Encodes prepared events created on one local day (see EncodedNewEvents). */
export function encodeNewEvents(items: readonly NewEventToInsert[]): EncodedNewEvents {
  if (items.length === 0) throw new HuyingError('internal', 'encodeNewEvents: no events');
  const dayOf = (p: PreparedEvent) => formatCaseNo(new Date(p.record.createdAt), 0, '').slice(0, 8);
  const day = dayOf(items[0]!.prepared);
  if (items.some(({ prepared }) => dayOf(prepared) !== day)) throw new HuyingError('internal', 'encodeNewEvents: the events must share one local day');
  // keys no column has (the claim's) are skipped by jsonb_populate_record; `v` is set by the statement
  // each document serialised once: spliced into its row here, reused as the replicated row's text when written
  const texts = items.map(({ prepared: p }) => ({ record: JSON.stringify(p.record), entries: p.entries.map((e) => JSON.stringify(e)) }));
  const eventRows = items
    .map(({ prepared: p, claim }, i) => {
      const { v: _v, ...columns } = eventColumns(p.record, 0, p.nextCheckAt);
      return asColumnJsonWithDoc({ id: p.record.id, intake: p.facts, ...columns, ...(claim ? { claim_system: claim.system, claim_ref_id: claim.refId } : {}) }, EVENT_COLUMNS.names, texts[i]!.record);
    })
    .join(',');
  const auditRows = items
    .flatMap(({ prepared: p }, i) =>
      p.entries.map((e, k) => {
        const { v: _v, ...columns } = auditColumns(e, 0, eventScope(p.record));
        return asColumnJsonWithDoc(columns, AUDIT_COLUMNS.names, texts[i]!.entries[k]!);
      }),
    )
    .join(',');
  return {
    items,
    day,
    eventRows,
    auditRows,
    auditCount: items.reduce((n, { prepared: p }) => n + p.entries.length, 0),
    texts: items.map(({ prepared: p }, i) => ({ record: p.record.caseNo === PENDING_CASE_NO ? texts[i]!.record : null, entries: texts[i]!.entries })),
  };
}

/**
 * Writes several prepared events in ONE statement, set-based: the day's counter moves by their
 * number once, each event takes the next case number in the given order, and the event rows
 * (each with its claim to complete) and their audit rows are written from two JSON parameters. What
 * insertNewEvent does for one event, for a whole intake batch — the writer's critical path then
 * carries one statement per batch instead of one per event. All or nothing: a failure (a second
 * row for an external reference) leaves nothing written and throws; the caller may then write the
 * events one by one to find the culprit. Every event must be created on the same local day (one
 * `createdAt` day: one counter row). Returns the events as written, in the given order.
 */
export async function insertNewEvents(tx: Tx, out: ReplicationOut, items: readonly NewEventToInsert[], prefix = CASE_NO_PREFIX): Promise<PreparedEvent[]> {
  if (items.length === 0) return [];
  return writeEncodedEvents(tx, out, [encodeNewEvents(items)], prefix);
}

/**
 * `insertNewEvents` of sets encoded beforehand (`encodeNewEvents`), in the given order, in ONE
 * statement: the events store encodes an intake set when it arrives and writes the sets that
 * waited together (src/datacenter/events/store.ts). The sets must share one local day.
 */
export async function writeEncodedEvents(tx: Tx, out: ReplicationOut, sets: readonly EncodedNewEvents[], prefix = CASE_NO_PREFIX): Promise<PreparedEvent[]> {
  const items = sets.flatMap((x) => x.items);
  if (items.length === 0) return [];
  const v = out.v;
  const day = sets[0]!.day;
  if (sets.some((x) => x.day !== day)) throw new HuyingError('internal', 'writeEncodedEvents: the events must share one local day');
  const eventRows = '[' + sets.map((x) => x.eventRows).join(',') + ']';
  const auditRows = '[' + sets.map((x) => x.auditRows).filter((r) => r !== '').join(',') + ']';
  const auditCount = sets.reduce((n, x) => n + x.auditCount, 0);
  const count = items.length;
  let rows: { id: string; case_no: string; audit_rows: number; claims: number }[];
  try {
    const result = await tx.execute(sql`
      WITH n AS (
        INSERT INTO ${caseNoCounters} AS c (day, last) VALUES (${day}, ${count}::int)
        ON CONFLICT (day) DO UPDATE SET last = c.last + ${count}::int
        RETURNING last
      ), src AS (
        SELECT x.j, x.ord, n.last - ${count}::int + x.ord::int AS seq
        FROM n, jsonb_array_elements(${eventRows}::jsonb) WITH ORDINALITY AS x(j, ord)
      ), no AS (
        SELECT j, ${prefix} || ${day} || CASE WHEN seq < 10000 THEN lpad(seq::text, 4, '0') ELSE seq::text END AS case_no FROM src
      ), e AS (
        INSERT INTO ${events} (${EVENT_COLUMNS.list})
        SELECT ${EVENT_SET.select({ v: sql`${v}::bigint`, case_no: sql`no.case_no`, doc: sql`jsonb_set(no.j -> 'doc', '{caseNo}', to_jsonb(no.case_no))` })}
        FROM no, jsonb_to_record(no.j) AS r(${EVENT_SET.defs})
        RETURNING id, case_no
      ), a AS (
        INSERT INTO ${audit} (${AUDIT_COLUMNS.list})
        SELECT ${AUDIT_SET.select({ v: sql`${v}::bigint` })} FROM jsonb_array_elements(${auditRows}::jsonb) AS x(j), jsonb_to_record(x.j) AS r(${AUDIT_SET.defs})
        RETURNING 1
      ), claim AS (
        -- from the rows themselves, not by joining e back to a list of claims: that join compared
        -- every claim with every event (a quarter of the statement's time at 244 events)
        UPDATE ${externalRefs} AS x SET event_id = no.j ->> 'id', case_no = no.case_no, created_at = now()
        FROM no
        WHERE x.system = no.j ->> 'claim_system' AND x.ref_id = no.j ->> 'claim_ref_id' AND x.event_id IS NULL
        RETURNING 1
      )
      SELECT e.id, e.case_no, (SELECT count(*) FROM a)::int AS audit_rows, (SELECT count(*) FROM claim)::int AS claims FROM e
    `);
    rows = rowsOf<{ id: string; case_no: string; audit_rows: number; claims: number }>(result);
  } catch (err) {
    if (isUniqueViolation(err, 'events_external_ref_key')) {
      throw new HuyingError('conflict', 'an external reference of the batch is already entered', { field: 'externalRef' });
    }
    throw err;
  }
  if (rows.length !== count || rows.some((r) => r.audit_rows !== auditCount)) throw new HuyingError('internal', 'the events were not written');
  const caseNos = new Map(rows.map((r) => [r.id, r.case_no]));
  const texts = sets.flatMap((x) => x.texts);
  return items.map(({ prepared }, i) => {
    const { record, entries } = prepared;
    const scope = eventScope(record);
    const caseNo = caseNos.get(record.id)!;
    const written = withCaseNo(prepared, caseNo);
    const text = texts[i]!;
    out.upsert('events', record.id, scope, written.record, text.record === null ? undefined : textWithCaseNo(text.record, caseNo));
    entries.forEach((e, k) => out.upsert('audit', auditKey(e), scope, e, text.entries[k]));
    raiseAlertFor(out, written.record, new Date(record.createdAt));
    return written;
  });
}

/**
 * Writes a decided change of an existing event in ONE statement: the event row's columns (as
 * `eventColumns` makes them) and its new audit row. One statement for the same reason as
 * insertNewEvent: replicated writes run one after another on the batch's transaction, so every
 * round trip saved is command throughput. Does not report to the change log (the caller does).
 */
export async function updateEventWithAudit(tx: Tx, record: EventRecord, v: number, next: Date | null, entry: AuditEntry, scope: string | null): Promise<void> {
  const cols = eventColumns(record, v, next);
  const names = Object.keys(cols).map((k) => EVENT_COLUMNS.names[k] ?? k);
  const result = await tx.execute(sql`
    WITH u AS (
      UPDATE ${events} SET (${sql.raw(names.map((n) => `"${n}"`).join(', '))}) =
        (SELECT ${sql.raw(names.map((n) => `r."${n}"`).join(', '))} FROM jsonb_populate_record(null::events, ${asColumnJson(cols, EVENT_COLUMNS.names)}::jsonb) AS r)
      WHERE id = ${record.id}
      RETURNING 1
    ), a AS (
      INSERT INTO ${audit} (${AUDIT_COLUMNS.list})
      SELECT ${AUDIT_COLUMNS.qualified} FROM jsonb_populate_recordset(null::audit, ${'[' + asColumnJson(auditColumns(entry, v, scope), AUDIT_COLUMNS.names) + ']'}::jsonb) AS r
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM u)::int AS events, (SELECT count(*) FROM a)::int AS audit_rows
  `);
  const [row] = rowsOf<{ events: number; audit_rows: number }>(result);
  if (!row || row.events !== 1 || row.audit_rows !== 1) throw new HuyingError('internal', `event ${record.id} was not updated`);
}

/** Creates an event in the caller's replicated transaction; throws when the reporter may not file. */
export async function createEventInTx(tx: Tx, out: ReplicationOut, input: NewEventInput, claim?: ClaimToComplete): Promise<PreparedEvent> {
  const prepared = prepareEvent(input, PENDING_CASE_NO);
  if (!prepared.ok) throw new HuyingError('internal', `intake could not file the event: ${prepared.error.code} ${prepared.error.message}`);
  return insertNewEvent(tx, out, prepared.value, CASE_NO_PREFIX, claim);
}

/** A unique violation (SQLSTATE 23505), optionally of one constraint, through drizzle's wrapping. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const pgErr = e as { code?: string; constraint?: string; message?: string };
    if (pgErr.code === '23505') return constraint === undefined || pgErr.constraint === constraint || (pgErr.message ?? '').includes(constraint);
  }
  return false;
}
