/**
 * The replica's tables as drizzle sees them (from migration 0002 on).
 *
 * Every replicated table of the sync protocol (core/sync/protocol.ts
 * `ReplicatedTable`) is kept as the data center sends it — a JSON document per
 * key with the version that wrote it — plus the columns queries filter and
 * sort on, extracted when the row is written (store/replicated-rows.ts). So a
 * query never parses JSON to filter, and the document stays the one truth
 * the detail views read.
 *
 * `events` is built for 10^6 rows: times are integer milliseconds (range
 * scans, and binary columns for the map without parsing), `rid` is a stable
 * integer rowid (the FTS index and the map's id column use it), and the
 * indexes serve the deadline-ordered queues and the usual filters (see
 * docs/sync-client.md, "Schema").
 *
 * Each replicated table has a `stage_` twin with the same columns and no
 * secondary index: a snapshot streams into the twins, and one transaction
 * swaps them in (store/snapshot-store.ts).
 *
 * Local-only tables: `sync_state` (the scope, the cursor, the last checksum),
 * `outbox` and `pending_overlay` (offline commands and their optimistic
 * effect), and `preferences` (the client id, the chosen scope, UI settings).
 *
 * The SQL that creates these tables lives in the numbered migrations next to
 * this file (drizzle-kit's output would not survive bundling into the
 * Electron utility process); a test checks both agree column by column.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** key + version + document: what every replicated row has */
const docColumns = () => ({
  key: text('key').primaryKey(),
  /** the version (cursor `v`) that wrote this row */
  v: integer('v').notNull(),
  /** the row document, JSON */
  doc: text('doc').notNull(),
});

const areaColumns = () => ({
  ...docColumns(),
  level: text('level'),
  parentCode: text('parent_code'),
});
/** districts, towns/subdistricts (镇/街) and villages/communities (村/社区); key = area code */
export const areas = sqliteTable('areas', areaColumns());
export const stageAreas = sqliteTable('stage_areas', areaColumns());

const gridColumns = () => ({
  ...docColumns(),
  code: text('code'),
  villageCode: text('village_code'),
  townCode: text('town_code'),
  /** ISO date it was replaced, null while current */
  validTo: text('valid_to'),
});
/** base grids (基础网格) */
export const grids = sqliteTable('grids', gridColumns());
export const stageGrids = sqliteTable('stage_grids', gridColumns());

const unitColumns = () => ({
  ...docColumns(),
  kind: text('kind'),
  areaCode: text('area_code'),
});
/** departments, town governments and village committees that handle events */
export const units = sqliteTable('units', unitColumns());
export const stageUnits = sqliteTable('stage_units', unitColumns());

/** grid workers (网格员) and other people the data center replicates */
export const workers = sqliteTable('workers', docColumns());
export const stageWorkers = sqliteTable('stage_workers', docColumns());

/** taxonomy, calendar, responsibility matrix, workflow config: one row per document */
export const config = sqliteTable('config', docColumns());
export const stageConfig = sqliteTable('stage_config', docColumns());

const eventColumns = () => ({
  /** stable integer id: the FTS rowid and the map's id column */
  rid: integer('rid').primaryKey(),
  /** the event id */
  key: text('key').notNull().unique(),
  v: integer('v').notNull(),
  caseNo: text('case_no'),
  status: text('status').notNull(),
  /** 1 while the event is in an open state (core/workflow OPEN_STATES) */
  isOpen: integer('is_open').notNull(),
  categoryCode: text('category_code'),
  townCode: text('town_code'),
  villageCode: text('village_code'),
  gridCode: text('grid_code'),
  source: text('source').notNull(),
  urgency: text('urgency').notNull(),
  /** WGS84, null when the source sent no position */
  lon: real('lon'),
  lat: real('lat'),
  /** times in ms since the epoch */
  reportedAt: integer('reported_at').notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  closedAt: integer('closed_at'),
  /** effective deadline of the most urgent clock (core/sla mostUrgentClock), null without clocks */
  deadlineAt: integer('deadline_at'),
  /** when that clock turns to warning */
  warnAt: integer('warn_at'),
  /** that clock: running | paused | stopped; null without clocks */
  clockState: text('clock_state'),
  /** 主办单位 */
  leadUnitId: text('lead_unit_id'),
  /** 督办 level 1–3, null when not supervised */
  supervisionLevel: integer('supervision_level'),
  /** rung of the 四呼四应 ladder, null when not escalated */
  escalationRung: text('escalation_rung'),
  title: text('title').notNull(),
  address: text('address'),
  // migration 0008: what the index expressions read from the document, extracted when the row is written
  /** the first clock's last pause's `from` (ISO), when a string: the open pause of a paused (挂账) event */
  pauseFrom: text('pause_from'),
  /** 1 when an extension request waits (workflow.pendingExtension is an object) */
  pendingExtension: integer('pending_extension').notNull(),
  /** who raised the supervision (workflow.supervision.byActorId), when a string */
  supervisedBy: text('supervised_by'),
  /** workflow.assistingUnitIds as a JSON array when it names any unit (协办), else null */
  assistingUnits: text('assisting_units'),
});
/** events (事件); key = event id */
export const events = sqliteTable('events', eventColumns(), (t) => [
  // (migration 0006 dropped events_open_deadline and events_status_deadline of 0002: events_open and events_status_rank serve them;
  // 0009 dropped events_reported (reported_at): events_reported_geo starts with it)
  index('events_town_status').on(t.townCode, t.status, t.deadlineAt),
  index('events_village_reported').on(t.villageCode, t.reportedAt),
  index('events_grid_reported').on(t.gridCode, t.reportedAt),
  index('events_category_reported').on(t.categoryCode, t.reportedAt),
  index('events_source_reported').on(t.source, t.reportedAt),
  index('events_updated').on(t.updatedAt),
  index('events_lead_unit_status').on(t.leadUnitId, t.status),
  index('events_supervised').on(t.supervisionLevel).where(sql`supervision_level IS NOT NULL`),
  // migration 0003 (the query layer, docs/queries.md): covering and partial indexes for 10^6 rows
  index('events_open')
    .on(t.status, t.clockState, t.warnAt, t.deadlineAt, t.townCode, t.villageCode, t.gridCode, t.urgency, t.source, t.reportedAt, t.supervisionLevel, t.leadUnitId, t.lon, t.lat, t.key)
    .where(sql`is_open = 1`),
  index('events_paused').on(t.pauseFrom, t.deadlineAt, t.warnAt, t.townCode, t.villageCode, t.gridCode).where(sql`is_open = 1 AND clock_state = 'paused'`),
  // migration 0007: within a rank, the deadline of a running or paused clock, else the report time (序时消单)
  index('events_deadline_order').on(
    sql`(CASE clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END)`,
    sql`(CASE WHEN clock_state IN ('running', 'paused') THEN deadline_at ELSE reported_at END)`,
  ),
  index('events_status_rank').on(
    t.status,
    sql`(CASE clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END)`,
    sql`(CASE WHEN clock_state IN ('running', 'paused') THEN deadline_at ELSE reported_at END)`,
  ),
  index('events_reported_geo').on(t.reportedAt, t.townCode, t.categoryCode, t.gridCode, t.lon, t.lat),
  index('events_pending_extension').on(t.clockState, t.deadlineAt).where(sql`is_open = 1 AND pending_extension = 1`),
  index('events_supervised_by').on(t.supervisedBy, t.clockState, t.deadlineAt).where(sql`is_open = 1 AND supervision_level IS NOT NULL`),
  index('events_open_assisting').on(t.assistingUnits).where(sql`is_open = 1 AND assisting_units IS NOT NULL`),
  index('events_case_no').on(t.caseNo),
  index('events_v').on(t.v),
  // migration 0004: running clocks by their warning instant (超期/预警)
  index('events_running_warn').on(t.warnAt, t.deadlineAt, t.townCode, t.villageCode, t.gridCode).where(sql`is_open = 1 AND clock_state = 'running'`),
  // migration 0005: running clocks in deadline order (the 超期/预警 window)
  index('events_running_deadline').on(t.deadlineAt, t.warnAt, t.townCode, t.villageCode, t.gridCode).where(sql`is_open = 1 AND clock_state = 'running'`),
]);
export const stageEvents = sqliteTable('stage_events', eventColumns());

const eventDocColumns = () => ({
  /** events.rid */
  rid: integer('rid').primaryKey(),
  /** the event document as the data center sent it, JSON */
  doc: text('doc').notNull(),
});
/**
 * The event documents, apart from `events` (migration 0008) so that the
 * index builds of a snapshot swap scan a narrow table; one row per event,
 * written and deleted with it, joined by rowid.
 */
export const eventDocs = sqliteTable('events_doc', eventDocColumns());
export const stageEventDocs = sqliteTable('stage_events_doc', eventDocColumns());

const auditColumns = () => ({
  ...docColumns(),
  eventId: text('event_id').notNull(),
  seq: integer('seq').notNull(),
  /** ms since the epoch */
  at: integer('at').notNull(),
});
/** the append-only audit trail (an event's timeline); key `${eventId}:${seq}` */
export const audit = sqliteTable('audit', auditColumns(), (t) => [index('audit_event_seq').on(t.eventId, t.seq)]);
export const stageAudit = sqliteTable('stage_audit', auditColumns());

const wallColumns = () => ({
  ...docColumns(),
  /** the document's `kind` (directive, alert, …) when it has one */
  kind: text('kind'),
});
/** directives pushed to walls (上大屏) and alerts with their acknowledgements */
export const wall = sqliteTable('wall', wallColumns());
export const stageWall = sqliteTable('stage_wall', wallColumns());

/** The scope the replica holds and how far it is: one row (the replica holds one scope). */
export const syncState = sqliteTable('sync_state', {
  /** `district` or a 12-digit town code */
  scope: text('scope').primaryKey(),
  epoch: text('epoch').notNull(),
  /** the cursor: every version ≤ v of `epoch` is applied */
  v: integer('v').notNull(),
  /** version of the reference data (areas, grids, units, workers, config) the replica holds */
  referenceVersion: text('reference_version').notNull(),
  /** the last checksum received and whether it matched, JSON */
  lastChecksum: text('last_checksum'),
  /** ISO time of the snapshot the replica was built from */
  snapshotAt: text('snapshot_at').notNull(),
  /** ISO time of the last applied batch or snapshot */
  lastBatchAt: text('last_batch_at').notNull(),
});

/** Commands of this desktop, from submission until the feed confirms or rejects them. */
export const outbox = sqliteTable(
  'outbox',
  {
    /** strictly increasing per client, never reused (AUTOINCREMENT) */
    mutationId: integer('mutation_id').primaryKey({ autoIncrement: true }),
    clientId: text('client_id').notNull(),
    /** ISO time of the submission */
    createdAt: text('created_at').notNull(),
    /** the core/sync Mutation, JSON */
    mutation: text('mutation').notNull(),
    /** the event it acts on, when it is an event command */
    eventId: text('event_id'),
    /** queued | sent | confirmed | rejected | dismissed */
    state: text('state').notNull(),
    /** for rejected: { code, message }, JSON */
    error: text('error'),
    /** ISO time of the last push */
    sentAt: text('sent_at'),
    /** version of the feed batch that carried the ack */
    ackedV: integer('acked_v'),
    /** ISO time of the last state change */
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('outbox_state').on(t.state, t.mutationId), index('outbox_event').on(t.eventId)],
);

/** The optimistic effect of a queued command on an event, shown until it is confirmed or rejected. */
export const pendingOverlay = sqliteTable(
  'pending_overlay',
  {
    mutationId: integer('mutation_id')
      .primaryKey()
      .references(() => outbox.mutationId, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    /** { command, expectedStatus, … }, JSON */
    overlay: text('overlay').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('pending_overlay_event').on(t.eventId)],
);

/**
 * Per event, the indicator facts of core/indicators `eventFacts` and the instants of its steps,
 * computed by the query layer (queries/stats/facts.ts); local, never replicated, clustered by
 * reported time (WITHOUT ROWID, migration 0003). KPIs and playback read it instead of documents.
 */
export const kpiFacts = sqliteTable(
  'kpi_facts',
  {
    reportedAt: integer('reported_at').notNull(),
    /** events.rid */
    rid: integer('rid').notNull().unique(),
    /** events.v the facts were computed from */
    v: integer('v').notNull(),
    key: text('key').notNull(),
    lon: real('lon'),
    lat: real('lat'),
    urgency: text('urgency').notNull(),
    dispatchedAt: integer('dispatched_at'),
    handledAt: integer('handled_at'),
    closedAt: integer('closed_at'),
    townCode: text('town_code'),
    villageCode: text('village_code'),
    categoryCode: text('category_code'),
    source: text('source').notNull(),
    leadUnitId: text('lead_unit_id'),
    /** bits of queries/stats/facts.ts FACT */
    flags: integer('flags').notNull(),
    /** the judging clock is overdue after this instant; null: it cannot become overdue as things stand */
    overdueFrom: integer('overdue_from'),
  },
  (t) => [primaryKey({ columns: [t.reportedAt, t.rid] })],
);

/** Local settings of this data folder (client id, chosen scope, UI preferences), JSON values. */
export const preferences = sqliteTable('preferences', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** Replicated table name → its live and staging drizzle tables. */
export const replicatedTables = {
  areas: { live: areas, stage: stageAreas },
  grids: { live: grids, stage: stageGrids },
  units: { live: units, stage: stageUnits },
  workers: { live: workers, stage: stageWorkers },
  config: { live: config, stage: stageConfig },
  events: { live: events, stage: stageEvents },
  audit: { live: audit, stage: stageAudit },
  wall: { live: wall, stage: stageWall },
} as const;

export const schema = {
  areas,
  stageAreas,
  grids,
  stageGrids,
  units,
  stageUnits,
  workers,
  stageWorkers,
  config,
  stageConfig,
  events,
  stageEvents,
  eventDocs,
  stageEventDocs,
  audit,
  stageAudit,
  wall,
  stageWall,
  syncState,
  outbox,
  pendingOverlay,
  preferences,
  kpiFacts,
};
