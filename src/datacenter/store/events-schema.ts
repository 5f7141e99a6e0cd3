/**
 * The events store, the audit trail and the domain configuration (drizzle pg-core).
 *
 * - `events`: one row per event (事件). `doc` is the replicated `EventRecord` exactly as every
 *   desktop receives it; the other columns are copies of the fields the server filters and sorts
 *   on (status, source, category, area, time, position, external reference), written from `doc`
 *   by one function (src/datacenter/events/rows.ts) so they never disagree. `next_check_at` is
 *   the SLA scheduler's index: when something automatic may next become due for the event
 *   (`nextAutomaticCheckAt`), null for finished events. `intake` keeps what the source told us
 *   that the record does not carry (12345 appeal type, source clocks, source fields): the
 *   workflow authority starts those clocks on the first dispatch.
 * - `audit`: the append-only trail, one row per accepted command (`AuditEntry` in `doc`), keyed
 *   (event_id, seq) like the replicated key `${eventId}:${seq}`. The database itself refuses
 *   UPDATE, DELETE and TRUNCATE on it (trigger in migration `audit-append-only`, enabled ALWAYS so
 *   `session_replication_role = replica` does not silence it either).
 * - `case_no_counters`: the per-day sequence behind case numbers (HD + local date + 4 digits).
 * - `config`: the four domain configuration documents (calendar, taxonomy, responsibility,
 *   workflow), one row each, replicated to desktops as table `config`.
 *
 * `v` is the change-log version that last wrote the row (the sync feed's cursor order); `scope`
 * is the replication scope: the event's town code, null for events outside every town and for
 * configuration (district-wide).
 */
import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { EventRecord } from '../../core/events/types';
import type { AuditEntry } from '../../core/workflow/event';

/** What intake learnt from the source that `EventRecord` does not carry (server side, not replicated). */
export interface EventIntakeFacts {
  /** how intake placed it: by the position, by the grid the source named, or not at all */
  placement: 'point' | 'declared_grid' | 'none';
  /** the source's own category label */
  sourceCategory: string | null;
  /** 12345 诉求类型 */
  appealType: string | null;
  /** clocks the source imposes (ClockSpec JSON), started on the first dispatch */
  sourceClocks: unknown[];
  sourceFields: Record<string, string | number | boolean | null>;
}

const EVENT_STATUSES = sql.raw(
  `'reported', 'verifying', 'filed', 'rejected', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'handled', 'checking', 'checked', 'rework', 'closed', 'evaluated', 'merged', 'cancelled'`,
);

export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    caseNo: text('case_no').notNull(),
    v: bigint('v', { mode: 'number' }).notNull(),
    scope: text('scope'),
    doc: jsonb('doc').$type<EventRecord>().notNull(),
    status: text('status').notNull(),
    source: text('source').notNull(),
    category: text('category'),
    town: text('town'),
    village: text('village'),
    grid: text('grid'),
    urgency: text('urgency').notNull(),
    /** 督办 level, 0 when not supervised */
    supervisionLevel: smallint('supervision_level').notNull().default(0),
    leadUnit: text('lead_unit'),
    reportedAt: timestamp('reported_at', { withTimezone: true, mode: 'string' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull(),
    nextCheckAt: timestamp('next_check_at', { withTimezone: true, mode: 'string' }),
    lon: doublePrecision('lon'),
    lat: doublePrecision('lat'),
    /** 0.01° cell of the position (src/datacenter/events/geo-cell.ts): the near-duplicate search's spatial key */
    geoCell: integer('geo_cell'),
    externalSystem: text('external_system'),
    externalId: text('external_id'),
    intake: jsonb('intake').$type<EventIntakeFacts>().notNull(),
  },
  (t) => [
    uniqueIndex('events_case_no_key').on(t.caseNo),
    uniqueIndex('events_external_ref_key').on(t.externalSystem, t.externalId).where(sql`${t.externalSystem} is not null`),
    index('events_reported_at_idx').on(t.reportedAt, t.id),
    index('events_status_reported_at_idx').on(t.status, t.reportedAt),
    index('events_town_reported_at_idx').on(t.town, t.reportedAt),
    index('events_source_reported_at_idx').on(t.source, t.reportedAt),
    index('events_category_idx').on(t.category.op('text_pattern_ops')),
    index('events_next_check_at_idx').on(t.nextCheckAt).where(sql`${t.nextCheckAt} is not null`),
    index('events_geo_cell_reported_at_idx').on(t.geoCell, t.reportedAt).where(sql`${t.geoCell} is not null`),
    index('events_v_idx').on(t.v),
    check('events_status_values', sql`${t.status} in (${EVENT_STATUSES})`),
    check('events_urgency_values', sql`${t.urgency} in ('normal', 'urgent', 'critical')`),
    check('events_supervision_level_range', sql`${t.supervisionLevel} between 0 and 3`),
    check('events_external_ref_whole', sql`(${t.externalSystem} is null) = (${t.externalId} is null)`),
    check('events_position_whole', sql`(${t.lon} is null) = (${t.lat} is null)`),
  ],
);

export const audit = pgTable(
  'audit',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    /** the event version the entry produced: 1, 2, 3… */
    seq: integer('seq').notNull(),
    v: bigint('v', { mode: 'number' }).notNull(),
    scope: text('scope'),
    doc: jsonb('doc').$type<AuditEntry>().notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'string' }).notNull(),
    command: text('command').notNull(),
    actorId: text('actor_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'audit_pkey', columns: [t.eventId, t.seq] }),
    index('audit_at_idx').on(t.at),
    index('audit_actor_at_idx').on(t.actorId, t.at),
    index('audit_v_idx').on(t.v),
    check('audit_seq_positive', sql`${t.seq} > 0`),
  ],
);

/** 案件编号 per-day sequence: `day` is the local (UTC+8) date YYYYMMDD. */
export const caseNoCounters = pgTable('case_no_counters', {
  day: text('day').primaryKey(),
  last: integer('last').notNull(),
});

export const CONFIG_DOCUMENTS = ['calendar', 'taxonomy', 'responsibility', 'workflow'] as const;
export type ConfigDocumentName = (typeof CONFIG_DOCUMENTS)[number];

export const config = pgTable(
  'config',
  {
    /** calendar | taxonomy | responsibility | workflow */
    key: text('key').primaryKey(),
    v: bigint('v', { mode: 'number' }).notNull(),
    doc: jsonb('doc').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull(),
    /** the account that replaced it; `bundled` for the shipped defaults */
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [check('config_key_values', sql`${t.key} in ('calendar', 'taxonomy', 'responsibility', 'workflow')`)],
);

export const eventsSchema = { events, audit, caseNoCounters, config };
