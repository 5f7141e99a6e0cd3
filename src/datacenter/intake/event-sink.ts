/**
 * The port between intake and the events store. Intake validates, converts, places and looks for
 * duplicates; creating the event (its row, its first audit entry, its version in the change log
 * that the sync feed ships) belongs to the events store and the workflow authority, which own
 * those tables. The lead wires their implementation in; until then `createMemoryEventSink` is the
 * reference behaviour of the contract (and the test double the intake's tests run against).
 *
 * `eventRecordFromDraft` is the one mapping from an intake draft to the replicated
 * `EventRecord`, so every implementation fills the record the same way.
 */
import { randomUUID } from 'node:crypto';
import type { EventRecord, EventSource, ExternalRef } from '../../core/events/types';
import { newEvent } from '../../core/workflow/event';
import type { EventArea } from '../../core/workflow/roles';
import { isOpen, type EventStatus } from '../../core/workflow/states';
import type { IntakeDraft } from './draft';
import { distanceMetres } from '../../core/geo/geometry';
import type { DuplicateCandidate, NearDuplicate } from './duplicates';

/** Where intake put the event. */
export interface IntakePlacement {
  area: EventArea;
  /** the position lies outside every current grid: flagged for the officer, never dropped */
  outsideDistrict: boolean;
  /** `point`: by the position; `declared_grid`: by the grid the source named; `none`: no position, no grid */
  method: 'point' | 'declared_grid' | 'none';
}

export interface CreatedEvent {
  eventId: string;
  /** human-readable case number, e.g. HD202511260042 */
  caseNo: string;
}

/** An external-reference claim (intake's `external_refs` row) the creating transaction may complete. */
export interface ClaimToComplete {
  system: string;
  refId: string;
}

/** One event of `EventSink.createEvents`: what `createEvent` takes. */
export interface EventToCreate {
  draft: IntakeDraft;
  placement: IntakePlacement;
  duplicates: readonly NearDuplicate[];
  claim?: ClaimToComplete;
  /** the event's id, when intake chose it (a later draft of the same set may name it as a near-duplicate) */
  id?: string;
}

export interface NearQuery {
  lon: number;
  lat: number;
  radiusMetres: number;
  /** reported between these instants */
  from: Date;
  to: Date;
}

export interface EventSink {
  /**
   * Creates the event in state `reported` from a placed draft, with its audit entry and its
   * change-log version, in one transaction. `duplicates` become `duplicateCandidates`. With
   * `claim`, an implementation may complete that claim (event id and case number) in the same
   * transaction and answer `claimCompleted: true`; otherwise intake completes it afterwards. With
   * `id`, the event gets that id (intake chose it so that a later draft of the same set could
   * name it as a near-duplicate before it was written).
   */
  createEvent(draft: IntakeDraft, placement: IntakePlacement, duplicates: readonly NearDuplicate[], claim?: ClaimToComplete, id?: string): Promise<CreatedEvent & { claimCompleted?: boolean }>;
  /**
   * Optional, for throughput: creates several events as `createEvent` would, all or nothing, in
   * one transaction (a batch of concurrent intakes). On a throw nothing was created; intake then
   * creates them one by one, so each gets its own answer. Answers in the given order; an item's
   * `id`, when given, is its event's id.
   */
  createEvents?(items: readonly EventToCreate[]): Promise<(CreatedEvent & { claimCompleted?: boolean })[]>;
  /** Optional, for throughput: `openEventsNear` for several queries in one round trip, answers in the given order. */
  openEventsNearMany?(queries: readonly NearQuery[]): Promise<DuplicateCandidate[][]>;
  /** The event already entered for this external reference, if any (crash recovery of a claim). */
  findByExternalRef(ref: ExternalRef): Promise<CreatedEvent | null>;
  /** Open events within the radius (a bounding-box prefilter is enough) reported in the window. */
  openEventsNear(query: NearQuery): Promise<DuplicateCandidate[]>;
}

export interface EventQuery {
  ids?: readonly string[];
  sources?: readonly EventSource[];
  categoryCodes?: readonly string[];
  reportedFrom?: Date;
  reportedTo?: Date;
  /** true: open events only; false: finished ones only; absent: both */
  open?: boolean;
  /** newest first, at most this many */
  limit: number;
}

/** Read side for Open311's GET requests. */
export interface EventReader {
  getEvent(eventId: string): Promise<EventRecord | null>;
  listEvents(query: EventQuery): Promise<EventRecord[]>;
}

export interface RecordIdentity {
  id: string;
  caseNo: string;
  createdAt: Date;
  /** from the category's closing condition (taxonomy); default true */
  requiresCheck?: boolean;
}

/** The replicated record of a freshly reported event made from an intake draft. */
export function eventRecordFromDraft(
  draft: IntakeDraft,
  placement: IntakePlacement,
  duplicates: readonly NearDuplicate[],
  identity: RecordIdentity,
): EventRecord {
  return {
    id: identity.id,
    caseNo: identity.caseNo,
    title: draft.title,
    description: draft.description,
    address: draft.address,
    location: draft.location,
    sourceLocation: draft.sourceLocation,
    outsideDistrict: placement.outsideDistrict,
    source: draft.source,
    externalRef: draft.externalRef,
    urgency: draft.urgency,
    reporter: draft.reporter,
    attachments: draft.attachments,
    sourceDeadline: draft.sourceDeadline,
    duplicateCandidates: duplicates.map((d) => d.eventId),
    createdAt: identity.createdAt.toISOString(),
    workflow: newEvent({
      id: identity.id,
      area: placement.area,
      reportedAt: new Date(draft.reportedAt),
      categoryCode: draft.categoryCode,
      requiresCheck: identity.requiresCheck ?? true,
    }),
  };
}

/** `HD` + local date (UTC+8) + a 4-digit sequence of the day: HD202511260042. */
export function formatCaseNo(at: Date, sequence: number, prefix = 'HD'): string {
  const local = new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
  return `${prefix}${local}${String(sequence).padStart(4, '0')}`;
}

export interface MemoryEventSink extends EventSink, EventReader {
  /** every record, in creation order */
  readonly records: readonly EventRecord[];
  /** moves an event to another status (tests: close one to see it leave the duplicate search) */
  setStatus(eventId: string, status: EventStatus): void;
}

/** An in-memory implementation of the port, with the semantics the real store must keep. */
export function createMemoryEventSink(options: { clock?: () => Date } = {}): MemoryEventSink {
  const clock = options.clock ?? (() => new Date());
  const records: EventRecord[] = [];
  const byId = new Map<string, EventRecord>();
  const byRef = new Map<string, EventRecord>();
  const perDay = new Map<string, number>();
  const refKey = (r: ExternalRef) => `${r.system}\u0000${r.id}`;

  return {
    records,
    async createEvent(draft, placement, duplicates, _claim, id) {
      if (draft.externalRef && byRef.has(refKey(draft.externalRef))) {
        throw new Error(`external reference ${draft.externalRef.system}/${draft.externalRef.id} entered twice`);
      }
      const now = clock();
      const day = formatCaseNo(now, 0).slice(0, -4);
      const seq = (perDay.get(day) ?? 0) + 1;
      perDay.set(day, seq);
      const record = eventRecordFromDraft(draft, placement, duplicates, { id: id ?? randomUUID(), caseNo: formatCaseNo(now, seq), createdAt: now });
      records.push(record);
      byId.set(record.id, record);
      if (draft.externalRef) byRef.set(refKey(draft.externalRef), record);
      return { eventId: record.id, caseNo: record.caseNo };
    },
    async findByExternalRef(ref) {
      const r = byRef.get(refKey(ref));
      return r ? { eventId: r.id, caseNo: r.caseNo } : null;
    },
    async openEventsNear(q) {
      const out: DuplicateCandidate[] = [];
      for (const r of records) {
        if (!r.location || !isOpen(r.workflow.status)) continue;
        const t = Date.parse(r.workflow.reportedAt);
        if (t < q.from.getTime() || t > q.to.getTime()) continue;
        if (distanceMetres(r.location, [q.lon, q.lat]) > q.radiusMetres) continue;
        out.push({ eventId: r.id, categoryCode: r.workflow.categoryCode, location: r.location, reportedAt: r.workflow.reportedAt, status: r.workflow.status });
      }
      return out;
    },
    async getEvent(id) {
      return byId.get(id) ?? null;
    },
    async listEvents(q) {
      const ids = q.ids ? new Set(q.ids) : null;
      return records
        .filter((r) => {
          if (ids && !ids.has(r.id)) return false;
          if (q.sources && !q.sources.includes(r.source)) return false;
          if (q.categoryCodes && !q.categoryCodes.includes(r.workflow.categoryCode ?? '')) return false;
          const t = Date.parse(r.workflow.reportedAt);
          if (q.reportedFrom && t < q.reportedFrom.getTime()) return false;
          if (q.reportedTo && t > q.reportedTo.getTime()) return false;
          if (q.open !== undefined && isOpen(r.workflow.status) !== q.open) return false;
          return true;
        })
        .sort((a, b) => Date.parse(b.workflow.reportedAt) - Date.parse(a.workflow.reportedAt))
        .slice(0, q.limit);
    },
    setStatus(eventId, status) {
      const r = byId.get(eventId);
      if (!r) throw new Error(`no event ${eventId}`);
      r.workflow = { ...r.workflow, status };
    },
  };
}
