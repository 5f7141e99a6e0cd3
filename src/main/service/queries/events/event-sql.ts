/**
 * The SQL of event queries, built from the contract's EventFilter: queues are
 * predicates over the workflow state (core/workflow/states.ts), filters add
 * terms, and clock states are computed "now" from the deadline columns the
 * replica maintains on every applied row (store/replicated-rows.ts:
 * `deadline_at`, `warn_at`, `clock_state` of the most urgent clock) — never by
 * reading 10^6 clock documents in JavaScript.
 *
 * Clock state at `@now`, for the most urgent clock:
 * - running: overdue after `deadline_at`, warning from `warn_at`, else running;
 * - paused (挂账, 核查): frozen at the state it had when the pause began (a
 *   pause stops the clock using budget), read from the open pause's start in
 *   the document — only for the few paused rows;
 * - stopped or none: no status (the unit has fed back, or nothing runs).
 *
 * Every term is written so an index of migration 0003 (or 0002) can serve it;
 * docs/queries.md lists which index serves which queue.
 */
import { OPEN_STATES, type EventStatus } from '../../../../core/index';
import type { EventFilter, EventSort, QueueId } from '../../../../core/rpc/queries';
import { inList } from '../context';

type Bind = Record<string, unknown>;

/**
 * Start of the open pause, as the document has it: parking (挂账, the one
 * command that pauses) pauses every clock at once, so the first clock's last
 * pause is the open one. A column extracted from the document when the row
 * is written (store/replicated-rows.ts; migration 0008), the first column of
 * the partial index events_paused: a query that names it with `> ''` reads
 * it from the index.
 */
export const PAUSE_FROM = `e.pause_from`;
export const PAUSE_FROM_MS = `(unixepoch(${PAUSE_FROM}, 'subsec') * 1000)`;
/** the terms that select paused open events through events_paused */
export const PAUSED_ROWS = `e.is_open = 1 AND e.clock_state = 'paused' AND ${PAUSE_FROM} > ''`;

/** The status of a paused clock: as it stood when the pause began. */
export const PAUSED_STATUS = `(CASE WHEN ${PAUSE_FROM_MS} > e.deadline_at THEN 'overdue' WHEN ${PAUSE_FROM_MS} >= e.warn_at THEN 'warning' ELSE 'running' END)`;

/** `running | warning | overdue | NULL` of the event's most urgent clock at `@now`. */
export const CLOCK_STATUS_SQL = `(CASE e.clock_state
  WHEN 'running' THEN CASE WHEN @now > e.deadline_at THEN 'overdue' WHEN @now >= e.warn_at THEN 'warning' ELSE 'running' END
  WHEN 'paused' THEN ${PAUSED_STATUS}
  ELSE NULL END)`;

/** 0 none, 1 running, 2 warning, 3 overdue (the map's clockStatus code), for running clocks */
export const RUNNING_CODE_SQL = `(CASE WHEN @now > e.deadline_at THEN 3 WHEN @now >= e.warn_at THEN 2 ELSE 1 END)`;
/** the same code for a paused clock (frozen) */
export const PAUSED_CODE_SQL = `(CASE WHEN ${PAUSE_FROM_MS} > e.deadline_at THEN 3 WHEN ${PAUSE_FROM_MS} >= e.warn_at THEN 2 ELSE 1 END)`;

/** The deadline a list shows: the running clock's, none for paused, stopped or absent clocks. */
export const DEADLINE_SQL = `(CASE WHEN e.clock_state = 'running' THEN e.deadline_at END)`;

/** 序时消单: running clocks by deadline, then paused ones, then the rest (the expression of indexes events_deadline_order, events_status_rank). */
export const DEADLINE_RANK_SQL = `(CASE e.clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END)`;

/**
 * The key within a rank: the deadline of a running or paused clock; for the
 * rest — no clock yet (待派遣: filed, not dispatched) or a stopped one — the
 * report time, so those queues are worked oldest reported first (序时消单)
 * instead of in replica row order. With DEADLINE_RANK_SQL and rid, the order
 * of indexes events_deadline_order and events_status_rank (migration 0007).
 */
export const DEADLINE_KEY_SQL = `(CASE WHEN e.clock_state IN ('running', 'paused') THEN e.deadline_at ELSE e.reported_at END)`;

/** The conditions of "open events whose clock is in one of `statuses` at `@now`", for running and for paused clocks. */
function clockStatusConditions(statuses: ReadonlySet<string>): { running: string; paused: string } {
  const running: string[] = [];
  const paused: string[] = [];
  // warn_at ≤ deadline_at always: "warning or overdue" is the range warn_at ≤ now of events_running_warn
  if (statuses.has('overdue')) {
    running.push('(e.warn_at <= @now AND @now > e.deadline_at)');
    paused.push(`${PAUSE_FROM_MS} > e.deadline_at`);
  }
  if (statuses.has('warning')) {
    running.push('(e.warn_at <= @now AND @now <= e.deadline_at)');
    paused.push(`(${PAUSE_FROM_MS} >= e.warn_at AND ${PAUSE_FROM_MS} <= e.deadline_at)`);
  }
  if (statuses.has('running')) {
    running.push('e.warn_at > @now');
    paused.push(`${PAUSE_FROM_MS} < e.warn_at`);
  }
  return { running: `(${running.join(' OR ')})`, paused: `(${paused.join(' OR ')})` };
}

/**
 * The two branches of "open events whose clock is in one of `statuses` at
 * `@now`", each on its own index; `area` adds terms on the columns both
 * indexes hold (town, village, grid).
 */
function clockStatusBranches(statuses: ReadonlySet<string>, area = ''): { running: string; paused: string } {
  const c = clockStatusConditions(statuses);
  return {
    running: `FROM events e INDEXED BY events_running_warn WHERE e.is_open = 1 AND e.clock_state = 'running' AND ${c.running}${area}`,
    paused: `FROM events e INDEXED BY events_paused WHERE ${PAUSED_ROWS} AND ${c.paused}${area}`,
  };
}

/**
 * Open events whose clock is in one of `statuses` at `@now`: running clocks
 * from events_running_warn (a range of warning instants), paused ones from
 * events_paused. Used as `+e.rid IN (…)` next to `e.is_open = 1`, so the
 * outer query walks events_open (covering) and only tests membership.
 */
function clockStatusIds(statuses: ReadonlySet<string>): string {
  const b = clockStatusBranches(statuses);
  return `+e.rid IN (SELECT e.rid ${b.running} UNION ALL SELECT e.rid ${b.paused})`;
}

/** What a clock-status window may be narrowed by besides the statuses: columns both clock indexes hold. */
export interface ClockOnly {
  statuses: ReadonlySet<string>;
  /** ` AND e.town_code IN (…)…`, or '' */
  area: string;
}

/**
 * The deadline-ordered window of a filter that is only clock statuses,
 * perhaps within towns, villages or grids (the 超期/预警 queue as a tab,
 * "overdue in my town"), in the order of orderSql('deadline'): every running
 * clock (rank 0) by (deadline, rid), then every paused one (rank 1). Running
 * clocks are walked off events_running_deadline in that order and the walk
 * stops after the window (`@limit`, `@offset`); paused clocks (events_paused,
 * whose frozen status needs the pause start) are read only when the window
 * reaches past the running ones. The counts: running clocks are one range of
 * events_running_warn (time-dependent); which paused clocks match does not
 * depend on the time (their status froze when the pause began).
 */
export function clockStatusWindow(c: ClockOnly): { running: string; paused: string; runningCount: string; pausedCount: string } {
  const b = clockStatusBranches(c.statuses, c.area);
  const cond = clockStatusConditions(c.statuses);
  return {
    running: `SELECT e.rid FROM events e INDEXED BY events_running_deadline WHERE e.is_open = 1 AND e.clock_state = 'running' AND ${cond.running}${c.area} ORDER BY e.deadline_at, e.rid LIMIT @limit OFFSET @offset`,
    paused: `SELECT e.rid ${b.paused} ORDER BY e.deadline_at, e.rid LIMIT @limit OFFSET @offset`,
    runningCount: `SELECT count(*) AS n ${b.running}`,
    pausedCount: `SELECT count(*) AS n ${b.paused}`,
  };
}

/**
 * The deadline-ordered window of a filter that is only a set of statuses (a
 * state queue: 待派遣, 待核查, 待评价 …): per status, events_status_rank holds
 * the rows in (rank, deadline or report time, rid) order, so each branch reads its first
 * `@lim` (= offset + limit) entries and the branches are merged — instead of
 * sorting every row of the queue (10^5 for 待评价 on 10^6 events).
 */
export function statusWindow(statuses: readonly string[], bind: Record<string, unknown>): string {
  const branches = statuses.map((st, i) => {
    bind[`sw${i}`] = st;
    return `SELECT * FROM (SELECT e.rid, ${DEADLINE_RANK_SQL} AS rk, ${DEADLINE_KEY_SQL} AS dl FROM events e INDEXED BY events_status_rank WHERE e.status = @sw${i} ORDER BY ${DEADLINE_RANK_SQL}, ${DEADLINE_KEY_SQL}, e.rid LIMIT @lim)`;
  });
  return `SELECT rid, rk, dl FROM (${branches.join(' UNION ALL ')}) ORDER BY rk, dl, rid LIMIT @limit OFFSET @offset`;
}

/** Open events with an extension request waiting: the condition of the partial index events_pending_extension. */
export const PENDING_EXTENSION_SQL = `e.is_open = 1 AND e.pending_extension = 1`;

/** Who raised the supervision (workflow.supervision.byActorId): the first column of the partial index events_supervised_by. */
export const SUPERVISED_BY_SQL = `e.supervised_by`;

/** The event's description, from its document (events_doc, joined by rowid). */
export const DESCRIPTION_SQL = `(SELECT json_extract(d.doc, '$.description') FROM events_doc d WHERE d.rid = e.rid)`;

/** Status sets of the queues defined by state. */
export const QUEUE_STATUSES: Partial<Record<QueueId, readonly string[]>> = {
  to_verify: ['reported', 'verifying'],
  to_dispatch: ['filed'],
  awaiting_signature: ['dispatched'],
  bounced: ['bounced'],
  in_progress: ['signed', 'in_progress', 'rework'],
  to_check: ['handled', 'checking'],
  to_evaluate: ['checked', 'closed'],
};

export interface QueueTerm {
  sql: string | null;
  /** the queue can hold nothing (supervised_by_me with nobody signed in) */
  empty: boolean;
}

/** The predicate of a queue, or null for `all`. */
export function queueTerm(queue: QueueId, bind: Bind, userId: string | null): QueueTerm {
  const statuses = QUEUE_STATUSES[queue];
  if (statuses) {
    // open-state queues name is_open so the covering partial index events_open can serve them
    const open = statuses.every((st) => OPEN_STATES.includes(st as EventStatus));
    return { sql: `${open ? 'e.is_open = 1 AND ' : ''}e.status IN ${inList('q', statuses, bind)}`, empty: false };
  }
  switch (queue) {
    case 'extension_requests':
      return { sql: PENDING_EXTENSION_SQL, empty: false };
    case 'overdue_warning':
      return { sql: `e.is_open = 1 AND ${clockStatusIds(new Set(['warning', 'overdue']))}`, empty: false };
    case 'supervised_by_me':
      if (userId === null) return { sql: '0', empty: true };
      bind.me = userId;
      return { sql: `e.supervision_level IS NOT NULL AND ${SUPERVISED_BY_SQL} = @me AND e.is_open = 1`, empty: false };
    default:
      return { sql: null, empty: false };
  }
}

/** A category code matches itself and every descendant (codes extend their parent's): a key range per code. */
export function categoryTerm(codes: readonly string[], bind: Bind, plus = ''): string {
  const ors = codes.map((c, i) => {
    bind[`c${i}`] = c;
    bind[`chi${i}`] = `${c}\uffff`;
    return `(${plus}e.category_code >= @c${i} AND ${plus}e.category_code < @chi${i})`;
  });
  return `(${ors.join(' OR ')})`;
}

/** Characters a trigram FTS5 phrase needs at least. */
const TRIGRAM = 3;

/**
 * A term of the text filter: FTS5 phrase for 3+ characters, a LIKE over title/address below, a case-number prefix.
 * `ftsThrough` (not null while the FTS index of a new snapshot is being built after the swap): events with
 * rid <= ftsThrough are read from the index, the rest with LIKE over what the index holds (title, description,
 * address), so the answer is the same before and after the build.
 */
function textTerms(text: string, bind: Bind, ftsThrough: number | null): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0).slice(0, 8);
  return words.map((w, i) => {
    bind[`tcase${i}`] = w.toUpperCase();
    bind[`tcasehi${i}`] = `${w.toUpperCase()}\uffff`;
    const caseNo = `(e.case_no >= @tcase${i} AND e.case_no < @tcasehi${i})`;
    if ([...w].length >= TRIGRAM) {
      bind[`t${i}`] = `"${w.replaceAll('"', '""')}"`;
      if (ftsThrough === null) return `(e.rid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH @t${i}) OR ${caseNo})`;
      bind.ftsThrough = ftsThrough;
      bind[`tl${i}`] = `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const like = `(e.title LIKE @tl${i} ESCAPE '\\' OR e.address LIKE @tl${i} ESCAPE '\\' OR ${DESCRIPTION_SQL} LIKE @tl${i} ESCAPE '\\')`;
      return `((e.rid <= @ftsThrough AND e.rid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH @t${i} AND rowid <= @ftsThrough)) OR (e.rid > @ftsThrough AND ${like}) OR ${caseNo})`;
    }
    bind[`t${i}`] = `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return `(e.title LIKE @t${i} ESCAPE '\\' OR e.address LIKE @t${i} ESCAPE '\\' OR ${caseNo})`;
  });
}

export interface FilterSql {
  /** the FROM clause: `events e`, with an INDEXED BY when the filter is a time window over the history */
  from: string;
  /** `WHERE …` or '' */
  where: string;
  bind: Bind;
  /** depends on the time (clock states): not memoised */
  timeDependent: boolean;
  /** nothing can match */
  empty: boolean;
  /** the filter is nothing but clock statuses (open events), perhaps within areas: clockStatusWindow can serve it */
  clockOnly: ClockOnly | null;
  /** the filter is nothing but a set of statuses: statusWindow can serve it */
  statusOnly: readonly string[] | null;
  /** the ORDER BY may come from the index the filter reads (a time window read off events_reported_geo, newest first) */
  orderFromIndex: EventSort | null;
}

/** The queues whose events are all open (their term names `e.is_open = 1`). */
function openQueue(queue: QueueId): boolean {
  const statuses = QUEUE_STATUSES[queue];
  if (statuses) return statuses.every((st) => OPEN_STATES.includes(st as EventStatus));
  return queue === 'extension_requests' || queue === 'overdue_warning' || queue === 'supervised_by_me';
}

/** The WHERE clause of a filter at `now` for the signed-in user (null: nobody). */
/** `ftsThrough`: how far the FTS index is built (store/replica-writes.ts ftsBuiltThrough), null when complete. */
export function filterSql(f: EventFilter, now: number, userId: string | null, ftsThrough: number | null = null): FilterSql {
  const bind: Bind = { now };
  const terms: string[] = [];
  let timeDependent = false;
  const q = queueTerm(f.queue, bind, userId);
  if (q.sql) terms.push(q.sql);
  if (f.queue === 'overdue_warning') timeDependent = true;
  if (f.openOnly) terms.push('e.is_open = 1');
  // open events only: events_open (covering) drives the query, so no other index may be chosen for a term
  const open = f.openOnly === true || openQueue(f.queue) || (f.clockStatuses?.length ?? 0) > 0;
  const plus = open ? '+' : '';
  if (f.statuses?.length) terms.push(`${plus}e.status IN ${inList('st', f.statuses, bind)}`);
  if (f.categoryCodes?.length) terms.push(categoryTerm(f.categoryCodes, bind, plus));
  if (f.townCodes?.length) terms.push(`${plus}e.town_code IN ${inList('tw', f.townCodes, bind)}`);
  if (f.villageCodes?.length) terms.push(`${plus}e.village_code IN ${inList('vi', f.villageCodes, bind)}`);
  if (f.gridCodes?.length) terms.push(`${plus}e.grid_code IN ${inList('gr', f.gridCodes, bind)}`);
  if (f.sources?.length) terms.push(`${plus}e.source IN ${inList('so', f.sources, bind)}`);
  if (f.urgencies?.length) terms.push(`${plus}e.urgency IN ${inList('ur', f.urgencies, bind)}`);
  if (f.unitIds?.length) {
    const units = inList('un', f.unitIds, bind);
    // the lead unit is a column (every event); assisting units are matched on open events — where they
    // still have work — among those that have any, off the covering index events_open_assisting
    const assisting = `SELECT e.rid FROM events e INDEXED BY events_open_assisting WHERE e.is_open = 1 AND e.assisting_units IS NOT NULL
         AND EXISTS (SELECT 1 FROM json_each(e.assisting_units) WHERE value IN ${units})`;
    terms.push(`(${plus}e.lead_unit_id IN ${units} OR ${plus}e.rid IN (${assisting}))`);
  }
  if (f.clockStatuses?.length) {
    // a clock status is "now": open events only (a closed event's clocks have stopped)
    timeDependent = true;
    terms.push(`e.is_open = 1 AND ${clockStatusIds(new Set(f.clockStatuses))}`);
  }
  if (f.supervised !== undefined) terms.push(f.supervised ? `${plus}e.supervision_level IS NOT NULL` : `${plus}e.supervision_level IS NULL`);
  if (f.from !== undefined) {
    bind.from = Date.parse(f.from);
    terms.push(`${plus}e.reported_at >= @from`);
  }
  if (f.to !== undefined) {
    bind.to = Date.parse(f.to);
    terms.push(`${plus}e.reported_at < @to`);
  }
  if (f.text) terms.push(...textTerms(f.text, bind, ftsThrough));
  // a time window over the whole history, narrowed only by columns events_reported_geo holds: read it off that
  // index (SQLite, without statistics, would take the town's or category's index and read 10^5 rows)
  const window =
    !open &&
    f.queue === 'all' &&
    (f.from !== undefined || f.to !== undefined) &&
    !f.statuses?.length &&
    !f.text &&
    !f.unitIds?.length &&
    !f.gridCodes?.length &&
    !f.villageCodes?.length;
  // queues served by one partial index are read through it (named: the planner has no statistics)
  const hint = window
    ? 'events_reported_geo'
    : f.queue === 'extension_requests'
      ? 'events_pending_extension'
      : f.queue === 'supervised_by_me' && !q.empty
        ? 'events_supervised_by'
        : null;
  const onlyClock =
    (f.queue === 'overdue_warning' && !f.clockStatuses?.length) || (f.queue === 'all' && (f.clockStatuses?.length ?? 0) > 0)
      ? new Set<string>(f.queue === 'overdue_warning' ? ['warning', 'overdue'] : f.clockStatuses)
      : null;
  const { queue: _q, clockStatuses: _c, openOnly: _o, townCodes, villageCodes, gridCodes, ...rest } = f;
  const none = (v: unknown) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  let clockOnly: ClockOnly | null = null;
  if (onlyClock && Object.values(rest).every(none)) {
    // both clock indexes hold town, village and grid: those filters stay inside the index walk
    const area = [
      townCodes?.length ? ` AND e.town_code IN ${inList('tw', townCodes, bind)}` : '',
      villageCodes?.length ? ` AND e.village_code IN ${inList('vi', villageCodes, bind)}` : '',
      gridCodes?.length ? ` AND e.grid_code IN ${inList('gr', gridCodes, bind)}` : '',
    ].join('');
    clockOnly = { statuses: onlyClock, area };
  }
  // a state queue (or a status list) and nothing else; openOnly adds nothing when every status is open
  const { statuses: _s, ...others } = rest;
  const queueStatuses = f.queue === 'all' ? (f.statuses?.length ? [...new Set(f.statuses)] : null) : (QUEUE_STATUSES[f.queue] ?? null);
  const statusOnly =
    queueStatuses &&
    (f.queue === 'all' || !f.statuses?.length) &&
    none(f.clockStatuses) &&
    none(townCodes) &&
    none(villageCodes) &&
    none(gridCodes) &&
    Object.values(others).every(none) &&
    (!f.openOnly || queueStatuses.every((st) => OPEN_STATES.includes(st as EventStatus)))
      ? queueStatuses
      : null;
  return {
    from: hint ? `events e INDEXED BY ${hint}` : 'events e',
    where: terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '',
    bind,
    timeDependent,
    empty: q.empty,
    clockOnly,
    statusOnly,
    orderFromIndex: window ? 'reported_desc' : null,
  };
}

/**
 * ORDER BY of a sort; `rid` breaks ties so windows never overlap or skip.
 *
 * With no filter the order comes from an index (events_deadline_order,
 * events_reported_geo, events_updated) and the window is read straight off it.
 * With a filter, `+ 0` keeps SQLite from walking that same index in order and
 * testing every row against the filter (its planner has no statistics and
 * would do it to save a sort); the filter's own index finds the rows, and
 * their sort keys are sorted — thousands of keys, not a million rows.
 */
export function orderSql(sort: EventSort, filtered: boolean): string {
  const z = filtered ? ' + 0' : '';
  switch (sort) {
    case 'deadline':
      return `ORDER BY ${DEADLINE_RANK_SQL}${z}, ${DEADLINE_KEY_SQL}, e.rid`;
    case 'reported_desc':
      return `ORDER BY e.reported_at${z} DESC, e.rid DESC`;
    case 'updated_desc':
      return `ORDER BY e.updated_at${z} DESC, e.rid DESC`;
    case 'urgency':
      return `ORDER BY (CASE e.urgency WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END), ${DEADLINE_RANK_SQL}, ${DEADLINE_KEY_SQL}, e.rid`;
  }
}
