/**
 * One event table row (EventRow) straight from the replica's query columns —
 * the document is not parsed for a list — with the clock status computed at
 * `@now` in SQL and the newest unsettled outbox command on the event (the
 * pending overlay: queued, sent or rejected-and-not-dismissed).
 */
import type { EventRow, PendingState } from '../../../../core/rpc/queries';
import { CLOCK_STATUS_SQL, DEADLINE_SQL } from './event-sql';

/** Columns of an EventRow, for `SELECT ${ROW_COLUMNS} FROM events e …`. */
export const ROW_COLUMNS = `e.rid, e.key, e.case_no, e.title, e.address, e.status, e.category_code, e.source, e.urgency,
  e.town_code, e.village_code, e.grid_code, e.lon, e.lat, e.reported_at, e.updated_at, e.lead_unit_id,
  ${DEADLINE_SQL} AS deadline, ${CLOCK_STATUS_SQL} AS clock_status, e.supervision_level,
  (SELECT o.mutation_id || ' ' || o.state || ' ' || coalesce(json_extract(o.mutation, '$.command.type'), json_extract(o.mutation, '$.name'))
     FROM outbox o WHERE o.event_id = e.key AND o.state IN ('queued', 'sent', 'rejected')
     ORDER BY o.mutation_id DESC LIMIT 1) AS pending`;

export interface RawRow {
  rid: number;
  key: string;
  case_no: string | null;
  title: string;
  address: string | null;
  status: string;
  category_code: string | null;
  source: string;
  urgency: string;
  town_code: string | null;
  village_code: string | null;
  grid_code: string | null;
  lon: number | null;
  lat: number | null;
  reported_at: number;
  updated_at: number;
  lead_unit_id: string | null;
  deadline: number | null;
  clock_status: string | null;
  supervision_level: number | null;
  pending: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toEventRow(r: RawRow): EventRow {
  let pending: EventRow['pending'] = null;
  if (r.pending) {
    const [id, state, command] = r.pending.split(' ');
    pending = { mutationId: Number(id), state: state as PendingState, command: command ?? '' };
  }
  const level = r.supervision_level;
  return {
    id: r.key,
    caseNo: r.case_no ?? '',
    title: r.title,
    address: r.address,
    status: r.status as EventRow['status'],
    categoryCode: r.category_code,
    source: r.source as EventRow['source'],
    urgency: r.urgency as EventRow['urgency'],
    townCode: r.town_code,
    villageCode: r.village_code,
    gridCode: r.grid_code,
    location: r.lon === null || r.lat === null ? null : [r.lon, r.lat],
    reportedAt: iso(r.reported_at),
    updatedAt: iso(r.updated_at),
    leadUnitId: r.lead_unit_id,
    deadline: r.deadline === null ? null : iso(r.deadline),
    clockStatus: r.clock_status as EventRow['clockStatus'],
    supervisionLevel: level === null || level < 1 || level > 3 ? null : level,
    pending,
  };
}
