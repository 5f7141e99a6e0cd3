/**
 * The intake's tables (drizzle pg-core), migration 0006:
 *
 * - `intake_quarantine`: every payload a source sent that intake refused, kept verbatim (text and
 *   content type) with its field errors, so nothing is lost: an admin lists it, fixes it and
 *   replays it, or discards it with a reason. `replay_started_at` is a short claim so two
 *   admins replaying the same row cannot create two events.
 * - `external_refs`: one row per (system, id) a source ever sent, the unique key that keeps an
 *   external reference from being entered twice even when two requests race. A row is claimed
 *   (event_id null) before the event is created and completed after; a claim left behind by a
 *   crash is taken over once stale, after asking the event store whether the event exists.
 *
 * `event_id` is not a foreign key: the events table belongs to the events store (migration 0002),
 * which keeps the external reference on the event as well.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** A field error as intake reports it (src/core/errors.ts FieldError). */
export interface StoredFieldError {
  field: string;
  message: string;
}

export const QUARANTINE_STATUSES = ['pending', 'replayed', 'discarded'] as const;
export type QuarantineStatus = (typeof QUARANTINE_STATUSES)[number];

export const intakeQuarantine = pgTable(
  'intake_quarantine',
  {
    id: text('id').primaryKey(),
    /** the path segment it came in on (`hotline_12345`, `open311`, …) */
    source: text('source').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    /** the Content-Type header as sent, null when absent */
    contentType: text('content_type'),
    /** the body exactly as received (decoded as UTF-8) */
    rawPayload: text('raw_payload').notNull(),
    /** why it was refused, the latest attempt's */
    errors: jsonb('errors').$type<StoredFieldError[]>().notNull(),
    status: text('status', { enum: QUARANTINE_STATUSES }).notNull().default('pending'),
    /** the event a successful replay created (or found already entered) */
    replayedEventId: text('replayed_event_id'),
    /** an admin's corrected payload, replayed instead of the raw one */
    fixedPayload: text('fixed_payload'),
    fixedContentType: text('fixed_content_type'),
    /** failed replays so far */
    replayAttempts: integer('replay_attempts').notNull().default(0),
    /** set while a replay runs; a claim older than a minute is abandoned */
    replayStartedAt: timestamp('replay_started_at', { withTimezone: true, mode: 'string' }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'string' }),
    /** the admin who replayed or discarded it, when the auth hook names one */
    resolvedBy: text('resolved_by'),
    /** the reason given on discard */
    note: text('note'),
    /** the sender's address, for finding a misconfigured system */
    remoteAddress: text('remote_address'),
  },
  (t) => [
    index('intake_quarantine_status_received_idx').on(t.status, t.receivedAt),
    index('intake_quarantine_source_idx').on(t.source),
    check('intake_quarantine_status_values', sql`${t.status} in ('pending', 'replayed', 'discarded')`),
    check('intake_quarantine_replayed_has_event', sql`(${t.status} = 'replayed') = (${t.replayedEventId} is not null)`),
    check('intake_quarantine_resolved_when_done', sql`(${t.status} = 'pending') = (${t.resolvedAt} is null)`),
  ],
);

export const externalRefs = pgTable(
  'external_refs',
  {
    /** the source system's name, e.g. `12345`, `szcg` */
    system: text('system').notNull(),
    /** its id for the record (work-order number, case number…) */
    refId: text('ref_id').notNull(),
    /** the intake path it came in on */
    source: text('source').notNull(),
    /** null while the event is being created */
    eventId: text('event_id'),
    caseNo: text('case_no'),
    /** sha-256 of the normalised draft: tells a retry from a different record under a reused id */
    payloadHash: text('payload_hash').notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }),
  },
  (t) => [
    primaryKey({ name: 'external_refs_pkey', columns: [t.system, t.refId] }),
    index('external_refs_event_id_idx').on(t.eventId),
    check('external_refs_complete', sql`(${t.eventId} is null) = (${t.createdAt} is null)`),
  ],
);

export const intakeSchema = { intakeQuarantine, externalRefs };
