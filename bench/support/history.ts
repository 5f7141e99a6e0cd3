/**
 * A fast, deterministic generator of past events for benchmarks and large
 * tests: `generateHistory` yields EventRecords (and, on request, their audit
 * trails) spread over the last `days` days, each at a stage that fits its age —
 * old events mostly closed and evaluated, recent ones anywhere in the loop —
 * with SLA clocks, supervision, extension requests, bounces, parking and
 * rework in plausible shares.
 *
 * It writes the workflow state directly instead of running `decide` for every
 * command (10^6 events × 8 commands through `decide` would take minutes); the
 * records still parse with the core `EventRecord` schema (the generator's own
 * test checks a sample), and the clocks are core `SlaClock`s started with
 * `startClockWithDeadline`, so deadlines are exact calendar-time deadlines.
 *
 * The engineer building the data center's simulator also writes a history
 * generator; the benchmarks switch to it once it has landed.
 */
import type { AuditEntry, EventRecord, EventSource, EventStatus, SlaClock, Urgency, WorkflowEvent } from '../../src/core/index';
import { startClockWithDeadline } from '../../src/core/sla/clock';
import { newEvent } from '../../src/core/workflow/event';

export interface HistoryGrid {
  code: string;
  villageCode: string;
  townCode: string;
  labelPoint: [number, number];
}

export interface HistoryUnit {
  id: string;
  kind: string;
  areaCode: string | null;
}

export interface HistoryOptions {
  count: number;
  /** the instant "now" of the history (events are reported before it) */
  now: Date;
  /** how far back events go; default 365 */
  days?: number;
  seed?: number;
  grids: readonly HistoryGrid[];
  units: readonly HistoryUnit[];
  /** leaf category codes with names (titles are made from them) */
  categories: readonly (readonly [code: string, name: string])[];
  /** also make each event's audit trail; default false */
  withAudit?: boolean;
  /** ids are `${idPrefix}${n}`; default 'ev-' */
  idPrefix?: string;
  /** actor ids that raise supervision (supervised_by_me); default ['demo-supervisor', 'demo-duty', 'system'] */
  supervisors?: readonly string[];
}

export interface HistoryItem {
  record: EventRecord;
  audit: AuditEntry[];
}

/** mulberry32: a small PRNG with a long enough period (TOOLCHAIN.md warns against float LCGs). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SOURCES: readonly [EventSource, number][] = [
  ['hotline_12345', 0.34],
  ['grid_patrol', 0.3],
  ['urban_management', 0.16],
  ['one_key', 0.03],
  ['enterprise', 0.05],
  ['open311', 0.04],
  ['manual', 0.05],
  ['api', 0.03],
];

const PLACES = ['建设北路', '新华路', '公益路', '迎宾大道', '凤凰北路', '天贵路', '龙珠路', '茶园路', '商业大道', '云山大道', '紫薇路', '田美村'];
const DETAILS = ['影响通行', '群众反映强烈', '多次投诉', '夜间尤为严重', '存在安全隐患', '请尽快处理', '附近居民有意见', '已持续三天'];

const DAY = 86_400_000;
const HOUR = 3_600_000;

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function weighted<T>(r: () => number, items: readonly (readonly [T, number])[]): T {
  let x = r();
  for (const [v, w] of items) {
    x -= w;
    if (x <= 0) return v;
  }
  return items[items.length - 1]![0];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Where an event has got to, as a function of its age (days since it was reported). */
function stageFor(r: () => number, ageDays: number): EventStatus {
  const x = r();
  if (x < 0.015) return 'rejected';
  if (x < 0.025) return 'cancelled';
  if (x < 0.035) return 'merged';
  if (ageDays > 30) {
    const y = r();
    if (y < 0.9) return 'evaluated';
    if (y < 0.985) return 'closed';
    if (y < 0.992) return 'parked';
    return weighted(r, [['in_progress', 0.5], ['handled', 0.3], ['checked', 0.2]] as const);
  }
  const progress = Math.min(1, ageDays / 20 + r() * 0.4);
  const ladder: EventStatus[] = ['reported', 'verifying', 'filed', 'dispatched', 'signed', 'in_progress', 'handled', 'checking', 'checked', 'closed', 'evaluated'];
  let idx = Math.min(ladder.length - 1, Math.floor(progress * ladder.length));
  if (r() < 0.03) return 'bounced';
  if (r() < 0.02) return 'rework';
  if (r() < 0.01) return 'parked';
  if (idx < 0) idx = 0;
  return ladder[idx]!;
}

const ORDER: Record<EventStatus, number> = {
  reported: 0,
  verifying: 1,
  filed: 2,
  rejected: 2,
  dispatched: 3,
  bounced: 3,
  signed: 4,
  in_progress: 5,
  parked: 5,
  rework: 6,
  handled: 6,
  checking: 7,
  checked: 8,
  closed: 9,
  evaluated: 10,
  merged: 1,
  cancelled: 1,
};

/** Generates `count` events, oldest first. */
export function* generateHistory(o: HistoryOptions): Generator<HistoryItem> {
  const r = mulberry32(o.seed ?? 20261127);
  const now = o.now.getTime();
  const days = o.days ?? 365;
  const span = days * DAY;
  const supervisors = o.supervisors ?? ['demo-supervisor', 'demo-duty', 'system'];
  const departments = o.units.filter((u) => u.kind === 'department');
  const townUnits = new Map(o.units.filter((u) => u.kind === 'town').map((u) => [u.areaCode, u.id]));
  const prefix = o.idPrefix ?? 'ev-';
  const perDay = new Map<string, number>();
  for (let n = 0; n < o.count; n++) {
    // oldest first, evenly spread with jitter, busier in office hours
    let reported = now - span + ((n + r()) / o.count) * span;
    const hourOfDay = Math.floor(((reported + 8 * HOUR) % DAY) / HOUR);
    if ((hourOfDay < 7 || hourOfDay > 21) && r() < 0.6) reported -= 10 * HOUR;
    reported = Math.min(now - 60_000, Math.max(now - span, Math.round(reported)));
    const ageDays = (now - reported) / DAY;
    const grid = pick(r, o.grids);
    const [cat, catName] = pick(r, o.categories);
    const source = weighted(r, SOURCES);
    const urgency: Urgency = source === 'one_key' ? 'urgent' : r() < 0.02 ? 'critical' : r() < 0.08 ? 'urgent' : 'normal';
    const id = `${prefix}${n + 1}`;
    const day = new Date(reported + 8 * HOUR).toISOString().slice(0, 10).replaceAll('-', '');
    const seq = (perDay.get(day) ?? 0) + 1;
    perDay.set(day, seq);
    const caseNo = `HD${day}${String(seq).padStart(4, '0')}`;
    const status = stageFor(r, ageDays);
    const at = (afterHours: number) => Math.min(now - 1000, reported + Math.round(afterHours * HOUR));
    const lon = grid.labelPoint[0] + (r() - 0.5) * 0.004;
    const lat = grid.labelPoint[1] + (r() - 0.5) * 0.004;
    const place = pick(r, PLACES);
    const lead = r() < 0.5 && townUnits.has(grid.townCode) ? townUnits.get(grid.townCode)! : pick(r, departments).id;

    // core's fresh event, then the stage this history puts it in
    const wf: WorkflowEvent = {
      ...newEvent({ id, area: { districtCode: '440114', townCode: grid.townCode, villageCode: grid.villageCode, gridCode: grid.code }, reportedAt: new Date(reported), categoryCode: cat }),
      status,
      version: 1,
    };
    const audit: AuditEntry[] = [];
    const step = (command: string, from: EventStatus, to: EventStatus, t: number, extra: Partial<AuditEntry> = {}) => {
      wf.version += 1;
      wf.updatedAt = iso(t);
      if (o.withAudit) {
        audit.push({
          eventId: id,
          seq: audit.length + 1,
          at: iso(t),
          actorId: 'demo-duty',
          actorName: '值班员',
          role: 'duty_officer',
          organisationId: 'district-440114',
          command,
          from,
          to,
          reason: null,
          reasonCode: null,
          attachments: [],
          payload: {},
          ...extra,
        });
      }
    };
    if (o.withAudit) {
      audit.push({
        eventId: id,
        seq: 1,
        at: iso(reported),
        actorId: `source-${source}`,
        actorName: source,
        role: 'intake_agent',
        organisationId: 'district-440114',
        command: 'report',
        from: 'reported',
        to: 'reported',
        reason: null,
        reasonCode: null,
        attachments: [],
        payload: { source },
      });
    }
    const rank = ORDER[status];
    const dispatched = rank >= 3 && status !== 'rejected' && status !== 'merged' && status !== 'cancelled';
    if (status === 'verifying' || (rank >= 2 && (source === 'hotline_12345' || source === 'open311'))) step('verify', 'reported', 'verifying', at(0.3));
    if (rank >= 2 && status !== 'rejected' && status !== 'merged' && status !== 'cancelled') step('file', 'verifying', 'filed', at(0.6));
    if (dispatched) {
      const dispatchAt = at(1 + r() * 3);
      wf.firstDispatchedAt = iso(dispatchAt);
      wf.leadUnitId = lead;
      wf.unitProgress = [{ unitId: lead, role: 'lead', assignedAt: iso(dispatchAt), signedAt: null, handledAt: null, feedback: null }];
      const limitDays = pick(r, [1, 2, 3, 5, 10, 15]);
      const clocks: SlaClock[] = [startClockWithDeadline('internal', 'internal', new Date(dispatchAt), new Date(dispatchAt + limitDays * DAY))];
      if (source === 'hotline_12345') clocks.push(startClockWithDeadline('hotline', 'hotline', new Date(dispatchAt), new Date(dispatchAt + (limitDays + 2) * DAY)));
      wf.clocks = clocks;
      step('dispatch', 'filed', 'dispatched', dispatchAt, { payload: { leadUnitId: lead } });
      if (status === 'bounced') {
        wf.bounceCount = 1;
        wf.lastBounce = { unitId: lead, reasonCode: 'not_our_responsibility', reason: null, at: iso(at(6)) };
        step('bounce', 'dispatched', 'bounced', at(6), { reasonCode: 'not_our_responsibility' });
      }
      const deadline = dispatchAt + limitDays * DAY;
      // a share takes longer than its limit
      const late = r() < 0.12;
      const handleAt = Math.min(now - 1000, late ? deadline + r() * 3 * DAY : dispatchAt + (deadline - dispatchAt) * (0.2 + r() * 0.7));
      if (rank >= 4 && status !== 'bounced') {
        const signAt = Math.min(handleAt, dispatchAt + r() * 4 * HOUR);
        wf.unitProgress[0]!.signedAt = iso(signAt);
        step('sign', 'dispatched', 'signed', signAt);
        if (rank >= 5) step('start', 'signed', 'in_progress', signAt + 60_000);
      }
      if (status === 'parked') {
        wf.parkedFrom = 'in_progress';
        const parkAt = Math.min(now - 1000, dispatchAt + 0.5 * (deadline - dispatchAt));
        wf.clocks = wf.clocks.map((c) => ({ ...c, pauses: [{ from: iso(parkAt), to: null, reason: 'parked' as const }] }));
        step('park', 'in_progress', 'parked', parkAt);
      }
      const handled = rank >= 6 && status !== 'rework' && status !== 'parked';
      if (handled || status === 'rework') {
        wf.feedback = { text: '已处置完毕', at: iso(handleAt), byActorId: 'unit-op' };
        wf.unitProgress[0]!.handledAt = iso(handleAt);
        wf.clocks = wf.clocks.map((c) => ({ ...c, stoppedAt: iso(handleAt) }));
        step('handle', 'in_progress', 'handled', handleAt);
      }
      if (status === 'rework') {
        wf.reworkCount = 1;
        const failAt = Math.min(now - 1000, handleAt + 2 * HOUR);
        wf.clocks = wf.clocks.map((c) => ({ ...c, stoppedAt: null, pauses: [{ from: c.stoppedAt ?? iso(handleAt), to: iso(failAt), reason: 'checking' as const }] }));
        step('check_fail', 'checking', 'rework', failAt);
      }
      if (rank >= 7 && handled) step('request_check', 'handled', 'checking', Math.min(now - 1000, handleAt + HOUR));
      if (rank >= 8 && handled) step('check_pass', 'checking', 'checked', Math.min(now - 1000, handleAt + 3 * HOUR));
      if (rank >= 9 && handled) {
        const closeAt = Math.min(now - 1000, handleAt + 6 * HOUR);
        wf.closedAt = iso(closeAt);
        step('close', 'checked', 'closed', closeAt);
      }
      if (status === 'evaluated') {
        const level = weighted(r, [['satisfied', 0.82], ['basically_satisfied', 0.12], ['dissatisfied', 0.06]] as const);
        const evalAt = Math.min(now - 1000, Date.parse(wf.closedAt!) + DAY);
        wf.evaluation = { score: level === 'satisfied' ? 5 : level === 'basically_satisfied' ? 4 : 2, level, callbackNote: null, at: iso(evalAt) };
        step('evaluate', 'closed', 'evaluated', evalAt);
      }
      // open and late: supervised; some ask for more time
      const open = rank < 9 && status !== 'bounced';
      if (open && (now > deadline || r() < 0.04)) {
        const supAt = Math.min(now - 1000, Math.max(dispatchAt, Math.min(now, deadline)));
        wf.supervision = { level: now > deadline + 3 * DAY ? 2 : 1, since: iso(supAt), reason: '超期督办', byActorId: pick(r, supervisors), dueAt: null };
        step('supervise', status, status, supAt);
      }
      if ((status === 'in_progress' || status === 'signed') && r() < 0.08 && now < deadline) {
        wf.pendingExtension = {
          requestedAt: iso(at(8)),
          requestedBy: 'unit-op',
          unitId: lead,
          duration: { unit: 'working_days', amount: 3, dayConvention: 'close_of_business' },
          clockIds: ['internal'],
          reason: '需协调多部门',
        };
        step('request_extension', status, status, at(8));
      }
    } else if (status === 'rejected') {
      step('reject', 'verifying', 'rejected', at(2));
    } else if (status === 'cancelled' || status === 'merged') {
      if (status === 'merged') wf.mergedInto = `${prefix}${Math.max(1, n)}`;
      step(status === 'merged' ? 'merge' : 'cancel', 'filed', status, at(2));
    }
    const record: EventRecord = {
      id,
      caseNo,
      title: `${PLACES.indexOf(place) % 2 === 0 ? place : grid.code.slice(9, 12) + '号网格'}${catName}`,
      description: `${place}附近${catName}，${pick(r, DETAILS)}。`,
      address: `花都区${place}${1 + Math.floor(r() * 300)}号`,
      location: [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6],
      sourceLocation: null,
      outsideDistrict: false,
      source,
      externalRef: source === 'hotline_12345' ? { system: '12345', id: `GD${caseNo.slice(2)}` } : null,
      urgency,
      reporter: source === 'hotline_12345' ? { name: '市民', phone: '138****0000', organisation: null } : null,
      attachments: [],
      sourceDeadline: null,
      duplicateCandidates: [],
      createdAt: iso(reported),
      workflow: wf,
    };
    yield { record, audit };
  }
}

/** The leaf categories of a taxonomy document (resources/config/taxonomy-demo.json). */
export function leafCategories(taxonomy: { categories: unknown[] }): [string, string][] {
  const out: [string, string][] = [];
  const walk = (nodes: unknown[]) => {
    for (const raw of nodes) {
      const n = raw as { code: string; name: string; children?: unknown[] };
      if (!n.children || n.children.length === 0) out.push([n.code, n.name]);
      else walk(n.children);
    }
  };
  walk(taxonomy.categories);
  return out;
}
