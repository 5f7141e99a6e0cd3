/**
 * The one mapping from a replicated document to its row: the filter columns of `events` are
 * copies of fields of the `EventRecord` in `doc`, and `audit` rows carry their entry's event,
 * sequence, time, command and actor. Every write goes through these functions, so a column can
 * never disagree with the document it was taken from.
 */
import type { EventRecord } from '../../core/events/types';
import { dueAutomaticCommands, nextAutomaticCheckAt } from '../../core/workflow/automation';
import type { DecideContext } from '../../core/workflow/decide';
import type { WorkflowEvent } from '../../core/workflow/event';
import type { AuditEntry } from '../../core/workflow/event';
import { isoFromPg } from '../intake/service';
import type { EventIntakeFacts } from '../store/events-schema';
import { geoCell } from './geo-cell';

/** The replication scope of an event: its town, or null (district-wide) when it lies outside every town. */
export function eventScope(record: EventRecord): string | null {
  return record.workflow.area.townCode;
}

/**
 * When the SLA scheduler should look at an event next: now when something automatic is already
 * due (e.g. a rung's countdown ran out while the event was parked), else core's
 * `nextAutomaticCheckAt`; null when nothing can become due (finished, or every clock stopped).
 */
export function nextCheckAt(workflow: WorkflowEvent, now: Date, ctx: DecideContext): Date | null {
  if (dueAutomaticCommands(workflow, now, ctx).length > 0) return now;
  return nextAutomaticCheckAt(workflow, now, ctx);
}

/** The replicated key of an audit entry. */
export function auditKey(entry: Pick<AuditEntry, 'eventId' | 'seq'>): string {
  return `${entry.eventId}:${entry.seq}`;
}

/** Every column of an `events` row but `id` and `intake`, from the record. */
export function eventColumns(record: EventRecord, v: number, nextCheckAt: Date | null) {
  const wf = record.workflow;
  const [lon, lat] = record.location ?? [null, null];
  return {
    caseNo: record.caseNo,
    v,
    scope: eventScope(record),
    doc: record,
    status: wf.status,
    source: record.source,
    category: wf.categoryCode,
    town: wf.area.townCode,
    village: wf.area.villageCode,
    grid: wf.area.gridCode,
    urgency: record.urgency,
    supervisionLevel: wf.supervision?.level ?? 0,
    leadUnit: wf.leadUnitId,
    reportedAt: wf.reportedAt,
    createdAt: record.createdAt,
    updatedAt: wf.updatedAt,
    nextCheckAt: nextCheckAt?.toISOString() ?? null,
    lon,
    lat,
    geoCell: lon === null || lat === null ? null : geoCell(lon, lat),
    externalSystem: record.externalRef?.system ?? null,
    externalId: record.externalRef?.id ?? null,
  };
}

export function auditColumns(entry: AuditEntry, v: number, scope: string | null) {
  return { eventId: entry.eventId, seq: entry.seq, v, scope, doc: entry, at: entry.at, command: entry.command, actorId: entry.actorId };
}

export const NO_INTAKE_FACTS: EventIntakeFacts = { placement: 'none', sourceCategory: null, appealType: null, sourceClocks: [], sourceFields: {} };

/** A timestamptz column read in `string` mode, as ISO 8601 (null stays null). */
export function pgInstant(value: string): string;
export function pgInstant(value: string | null): string | null;
export function pgInstant(value: string | null): string | null {
  return isoFromPg(value);
}
