/**
 * A stateful stand-in for the data service, rich enough to develop, test and
 * look at the workstation before the replica's query layer exists: a district
 * of 10 towns, thousands of events spread over every queue — each one driven
 * there through the real workflow rules (`decide`, with the demo calendar,
 * taxonomy, matrix and ladder from resources/config), so states, clocks and
 * audit trails are genuine — and an outbox that moves commands queued → sent
 * → confirmed, or rejected with `decide`'s own refusal, the way the data
 * center's authority will. It answers through `createFakeService`, so every
 * request of the contract exists and every answer passes its schema.
 *
 * Never used by the app unless the page is opened with `?fake=demo`
 * (src/renderer/main.tsx); tests create it directly.
 */
import calendarDoc from '../../../../resources/config/calendar-cn.json';
import responsibilityDoc from '../../../../resources/config/responsibility-demo.json';
import taxonomyDoc from '../../../../resources/config/taxonomy-demo.json';
import workflowDoc from '../../../../resources/config/workflow-demo.json';
import huadu from '../../../../resources/demo/huadu.json';
import { HuyingError } from '../../../core/errors';
import type { EventRecord, EventSource, Urgency } from '../../../core/events/types';
import type { Grid, LonLat } from '../../../core/geo/types';
import type { Unit } from '../../../core/org/types';
import type { OutboxEntry, OutboxList, SyncStatus } from '../../../core/rpc/contract';
import { createFakeService, type FakeService } from '../../../core/rpc/fake-service';
import type { ClockView, EventDetail, EventFilter, EventListResult, EventRow, EventSort, QueueCounts, QueueId } from '../../../core/rpc/queries';
import { EventFilter as EventFilterSchema, QueueId as QueueIdSchema } from '../../../core/rpc/queries';
import type { SessionUser } from '../../../core/rpc/session';
import type { WallAlert, WallDirective, WallState } from '../../../core/rpc/wall';
import { WallDirective as WallDirectiveSchema } from '../../../core/rpc/wall';
import { MAX_SAVED_VIEWS, type SavedView } from '../../../core/rpc/workstation';
import { clockState, mostUrgentClock } from '../../../core/sla/clock';
import { computeDeadline } from '../../../core/sla/policy';
import { suggestLeadUnit } from '../../../core/taxonomy/responsibility';
import { flattenTaxonomy, effectiveRules } from '../../../core/taxonomy/tree';
import type { Mutation } from '../../../core/sync/protocol';
import type { CommandInput } from '../../../core/workflow/commands';
import { decide, type Decision } from '../../../core/workflow/decide';
import { parseDomainConfig, type DomainConfig } from '../../../core/workflow/domain-config';
import { newEvent, type AuditEntry } from '../../../core/workflow/event';
import type { Actor } from '../../../core/workflow/roles';
import { isOpen } from '../../../core/workflow/states';
import { fakeDistrict } from '../../test/fake-district';
import { defaultClockSpecs } from '../actions/dispatch-plan';
import { queueMatches } from '../queues';

export const DEMO_PASSWORD = 'huying-demo';
const DISTRICT = '440114';

export interface DemoAccount extends SessionUser {
  password: string;
}

/** One account per role, like the data center's demo seed (docs/auth.md). */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: 'demo-duty', login: 'duty', name: '值班员（演示）', role: 'duty_officer', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT }, password: DEMO_PASSWORD },
  { id: 'demo-supervisor', login: 'supervisor', name: '督查员（演示）', role: 'supervisor', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT }, password: DEMO_PASSWORD },
  { id: 'demo-intake', login: 'intake', name: '受理员（演示）', role: 'intake_agent', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT }, password: DEMO_PASSWORD },
  { id: 'demo-wall', login: 'wall', name: '大屏（演示）', role: 'wall_viewer', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT }, password: DEMO_PASSWORD },
  { id: 'demo-admin', login: 'admin', name: '系统管理员（演示）', role: 'admin', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT }, password: DEMO_PASSWORD },
  { id: 'demo-unit-cg', login: 'unit-cg', name: '城管局操作员（演示）', role: 'unit_operator', organisationId: 'dept-cg', scope: { level: 'district', code: DISTRICT }, password: DEMO_PASSWORD },
];

export interface DemoOptions {
  /** events generated (default 3000) */
  events?: number;
  seed?: number;
  now?: () => Date;
  /** login of the account signed in at start; null (default): the login screen */
  signedIn?: string | null;
  /** move outbox entries on by themselves (default true); false: call `settle()` */
  autoSettle?: boolean;
  /** delay of each outbox step when settling by itself (default 350 ms) */
  stepMs?: number;
  /** a new event arrives this often (ms); 0 (default): never */
  simulateEveryMs?: number;
}

export interface DemoService extends FakeService {
  readonly cfg: DomainConfig;
  readonly units: Unit[];
  readonly grids: Grid[];
  events: Map<string, EventRecord>;
  audit: Map<string, AuditEntry[]>;
  outbox: OutboxEntry[];
  online: boolean;
  user(): SessionUser | null;
  setOnline(on: boolean): void;
  /** one outbox step: every queued entry to sent, every sent one to its outcome (online only); false when nothing moved */
  step(): boolean;
  /** steps until nothing moves */
  settle(): void;
  /** a command decided as `login` would be by the authority, applied at once (the unit's steps) */
  act(eventId: string, command: CommandInput, login: string): Decision;
  /** a new event reported now; returns it */
  arrive(partial?: { urgency?: Urgency; source?: EventSource; categoryCode?: string }): EventRecord;
  /** requests answered, by name (for tests) */
  calls: Map<string, number>;
  stop(): void;
}

/** mulberry32: small, fast, good enough for demo data (TOOLCHAIN.md warns about float LCGs). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SOURCES: [EventSource, number][] = [
  ['hotline_12345', 0.34],
  ['grid_patrol', 0.26],
  ['urban_management', 0.18],
  ['one_key', 0.03],
  ['enterprise', 0.05],
  ['open311', 0.05],
  ['manual', 0.07],
  ['migrant', 0.02],
];

const PLACES = ['路口', '市场旁', '小区东门', '学校附近', '公交站', '河涌边', '工业园', '村委会旁', '菜市场', '主干道'];
const STAGES: [string, number][] = [
  ['reported', 0.05],
  ['verifying', 0.02],
  ['filed', 0.07],
  ['dispatched', 0.07],
  ['bounced', 0.03],
  ['signed', 0.05],
  ['in_progress', 0.14],
  ['extension', 0.03],
  ['parked', 0.02],
  ['handled', 0.05],
  ['checking', 0.04],
  ['checked', 0.03],
  ['closed', 0.06],
  ['evaluated', 0.27],
  ['rejected', 0.03],
  ['cancelled', 0.01],
  ['duplicate', 0.03],
];

function pick<T>(r: () => number, weighted: readonly [T, number][]): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of weighted) if ((x -= w) <= 0) return v;
  return weighted[weighted.length - 1]![0];
}

const URGENCY_RANK: Record<Urgency, number> = { critical: 0, urgent: 1, normal: 2 };

export function createDemoService(options: DemoOptions = {}): DemoService {
  const now = options.now ?? (() => new Date());
  const r = rng(options.seed ?? 20260105);
  const parsed = parseDomainConfig({ calendar: calendarDoc, taxonomy: taxonomyDoc, responsibility: responsibilityDoc, workflow: workflowDoc });
  if (!parsed.ok) throw new Error(`demo config: ${parsed.error.message}`);
  const cfg = parsed.value;
  const { tree, geometry } = fakeDistrict({ towns: 10, villagesPerTown: 5, gridsPerVillage: 4 });
  // every grid gets a worker, so the detail map shows one
  const grids: Grid[] = geometry.grids.map((g, i) => ({
    ...g,
    workers: g.workers.length ? g.workers : [{ id: `w-${g.code}`, name: `${'李王张刘陈杨黄赵'[i % 8]}${'明华强芳军丽'[i % 6]}`, phone: `13900${String(i).padStart(6, '0')}` }],
  }));
  const geometryAnswer = { ...geometry, grids };

  const units: Unit[] = [
    { id: `district-${DISTRICT}`, name: huadu.district.commandCentre.name, shortName: huadu.district.commandCentre.shortName, kind: 'district', areaCode: DISTRICT, parentId: null, location: [113.2203, 23.404], phone: huadu.district.commandCentre.phone },
    ...huadu.departments.map(
      (d, i): Unit => ({ id: d.id, name: d.name, shortName: d.shortName, kind: 'department', areaCode: null, parentId: null, location: [113.2 + (i % 6) * 0.01, 23.4 + Math.floor(i / 6) * 0.005], phone: `020-3689${String(8200 + i)}` }),
    ),
    ...tree.district.children.flatMap((t): Unit[] => [
      { id: `town-${t.code}`, name: `${t.name}办事处`, shortName: t.name, kind: 'town', areaCode: t.code, parentId: null, location: t.labelPoint, phone: '020-36000000' },
      ...t.children.map((v): Unit => ({ id: `village-${v.code}`, name: `${v.name}委员会`, shortName: v.name, kind: 'village', areaCode: v.code, parentId: `town-${t.code}`, location: v.labelPoint, phone: '020-36000001' })),
    ]),
  ];
  const unitById = new Map(units.map((u) => [u.id, u]));
  const leaves = flattenTaxonomy(cfg.taxonomy).filter((n) => n.node.children.length === 0);
  const gridByCode = new Map(grids.map((g) => [g.code, g]));

  const events = new Map<string, EventRecord>();
  const audit = new Map<string, AuditEntry[]>();
  const accountByLogin = new Map(DEMO_ACCOUNTS.map((a) => [a.login, a]));
  const duty = accountByLogin.get('duty')!;
  const supervisor = accountByLogin.get('supervisor')!;
  const actorOf = (a: SessionUser): Actor => ({ id: a.id, name: a.name, role: a.role, organisationId: a.organisationId, scope: a.scope });
  const unitActor = (unitId: string): Actor => ({
    id: `op-${unitId}`,
    name: `${unitById.get(unitId)?.shortName ?? unitId}操作员`,
    role: 'unit_operator',
    organisationId: unitId,
    scope: { level: 'district', code: DISTRICT },
  });
  const system: Actor = { id: 'system', name: 'SLA scheduler', role: 'system', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT } };

  let seq = 0;
  let v = 1;
  const caseNo = (at: Date) => {
    const local = new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
    return `HD${local}${String(++seq).padStart(5, '0')}`;
  };

  const apply = (e: EventRecord, cmd: CommandInput, actor: Actor, at: Date): Decision => {
    const d = decide(e.workflow, cmd, actor, at, cfg);
    if (d.ok) {
      e.workflow = d.next;
      audit.get(e.id)!.push(d.audit);
    }
    return d;
  };

  const dispatchCommand = (e: EventRecord): CommandInput => {
    const place = e.workflow.area.gridCode ?? e.workflow.area.villageCode ?? DISTRICT;
    const s = e.workflow.categoryCode ? suggestLeadUnit(cfg, e.workflow.categoryCode, place) : null;
    const lead = s?.leadUnitId ?? 'dept-cg';
    return {
      type: 'dispatch',
      leadUnitId: lead,
      assistingUnitIds: (s?.assistingUnitIds ?? []).filter((u) => u !== lead),
      clocks: e.workflow.firstDispatchedAt ? [] : defaultClockSpecs(e, cfg),
    };
  };

  const makeEvent = (reportedAt: Date, o: { urgency?: Urgency; source?: EventSource; categoryCode?: string; near?: EventRecord } = {}): EventRecord => {
    const grid = o.near?.workflow.area.gridCode ? gridByCode.get(o.near.workflow.area.gridCode)! : grids[Math.floor(r() * grids.length)]!;
    const leaf = o.categoryCode ? cfg.taxonomy.byCode.get(o.categoryCode)!.node : leaves[Math.floor(r() * leaves.length)]!.node;
    const source = o.source ?? pick(r, SOURCES);
    const urgency: Urgency = o.urgency ?? (source === 'one_key' ? 'critical' : r() < 0.1 ? 'urgent' : r() < 0.02 ? 'critical' : 'normal');
    const base: LonLat = o.near?.location ?? grid.labelPoint;
    const location: LonLat = [base[0] + (r() - 0.5) * 0.004, base[1] + (r() - 0.5) * 0.004];
    const town = tree.district.children.find((t) => t.code === grid.townCode)!;
    const village = town.children.find((vn) => vn.code === grid.villageCode)!;
    const id = `ev-${String(events.size + 1).padStart(6, '0')}`;
    const place = PLACES[Math.floor(r() * PLACES.length)]!;
    const hotline = source === 'hotline_12345';
    const record: EventRecord = {
      id,
      caseNo: caseNo(reportedAt),
      title: `${leaf.name}（${village.name}${place}）`,
      description: `${town.name}${village.name}${place}反映${leaf.name}问题，请尽快处理。`,
      address: `${town.name}${village.name}${place}${1 + Math.floor(r() * 200)}号`,
      location,
      sourceLocation: { lon: location[0], lat: location[1], system: source === 'hotline_12345' ? 'gcj02' : 'wgs84' },
      outsideDistrict: false,
      source,
      externalRef: source === 'manual' || source === 'open311' ? null : { system: source === 'hotline_12345' ? '12345' : source, id: `${source.slice(0, 3).toUpperCase()}-${100000 + events.size}` },
      urgency,
      reporter: source === 'grid_patrol' ? { name: grid.workers[0]?.name ?? null, phone: grid.workers[0]?.phone ?? null, organisation: null } : { name: `${'张王李赵'[Math.floor(r() * 4)]}先生`, phone: `138${String(Math.floor(r() * 1e8)).padStart(8, '0')}`, organisation: source === 'enterprise' ? '花都某制造有限公司' : null },
      attachments: r() < 0.4 ? [{ id: `att-${id}`, name: '现场照片.jpg', mediaType: 'image/jpeg', sizeBytes: 240_000 + Math.floor(r() * 1e6) }] : [],
      sourceDeadline: hotline ? computeDeadline({ unit: 'working_days', amount: r() < 0.5 ? 2 : 10, dayConvention: 'close_of_business' }, reportedAt, cfg.calendar).toISOString() : null,
      duplicateCandidates: o.near ? [o.near.id] : [],
      createdAt: reportedAt.toISOString(),
      workflow: newEvent({
        id,
        area: { districtCode: DISTRICT, townCode: grid.townCode, villageCode: grid.villageCode, gridCode: grid.code },
        reportedAt,
        categoryCode: source === 'hotline_12345' && r() < 0.3 ? null : leaf.code,
        requiresCheck: effectiveRules(cfg.taxonomy, leaf.code)?.requiresCheck ?? true,
      }),
    };
    events.set(id, record);
    audit.set(id, [
      {
        eventId: id,
        seq: 1,
        at: reportedAt.toISOString(),
        actorId: source,
        actorName: source,
        role: 'system',
        organisationId: `district-${DISTRICT}`,
        command: 'report',
        from: 'reported',
        to: 'reported',
        reason: null,
        reasonCode: null,
        attachments: [],
        payload: {},
      },
    ]);
    // the report entry is seq 1 of the trail (as the data center's intake writes it); decisions follow from version 2
    record.workflow = { ...record.workflow, version: 1 };
    return record;
  };

  // ── generation: each event driven to its stage through the real rules ──
  const start = now();
  const count = options.events ?? 3000;
  for (let i = 0; i < count; i++) {
    const stage = pick(r, STAGES);
    // open work is recent (so clocks are a mix of running, warning and overdue); finished work is older
    const done = ['closed', 'evaluated', 'rejected', 'cancelled'].includes(stage);
    const ageH = done ? Math.pow(r(), 1.4) * 24 * 20 : Math.pow(r(), 2.2) * 24 * 6;
    let at = new Date(start.getTime() - ageH * 3_600_000);
    const openPool = [...events.values()].slice(-200).filter((x) => isOpen(x.workflow.status) && x.location);
    const near = stage === 'duplicate' && openPool.length ? openPool[Math.floor(r() * openPool.length)] : undefined;
    const e = makeEvent(at, near ? { near, categoryCode: near.workflow.categoryCode ?? undefined } : {});
    const step = () => {
      const next = new Date(at.getTime() + (0.2 + r() * 6) * 3_600_000 * Math.min(1, ageH / 48));
      at = next.getTime() < start.getTime() ? next : new Date(start.getTime() - 60_000 * (1 + r() * 30));
      return at;
    };
    const desk = actorOf(duty);
    const run = (cmd: CommandInput, actor: Actor) => apply(e, cmd, actor, step()).ok;
    if (stage === 'reported' || stage === 'duplicate') continue;
    if (stage === 'verifying') {
      run({ type: 'verify' }, desk);
      continue;
    }
    if (stage === 'rejected') {
      run({ type: 'reject', reason: '不属于受理范围' }, desk);
      continue;
    }
    if (!e.workflow.categoryCode) e.workflow = { ...e.workflow, categoryCode: leaves[Math.floor(r() * leaves.length)]!.node.code };
    if (!run({ type: 'file' }, desk) || stage === 'filed') continue;
    if (stage === 'cancelled') {
      run({ type: 'cancel', reason: '群众撤回诉求' }, desk);
      continue;
    }
    if (!run(dispatchCommand(e), desk) || stage === 'dispatched') continue;
    const unit = unitActor(e.workflow.leadUnitId!);
    if (stage === 'bounced') {
      run({ type: 'bounce', reasonCode: r() < 0.5 ? 'not_our_responsibility' : 'wrong_location', reason: '经核实不属本单位职责范围' }, unit);
      continue;
    }
    if (!run({ type: 'sign' }, unit) || stage === 'signed') continue;
    if (!run({ type: 'start' }, unit) || stage === 'in_progress') {
      if (r() < 0.15) run({ type: 'supervise', level: 1, reason: '群众反映强烈，请加快处置' }, r() < 0.5 ? desk : actorOf(supervisor));
      continue;
    }
    if (stage === 'extension') {
      if (!run({ type: 'request_extension', duration: { unit: 'working_days', amount: 3 }, reason: '需协调多个部门，申请延期' }, unit)) apply(e, { type: 'supervise', level: 1, reason: '已超期' }, system, step());
      continue;
    }
    if (stage === 'parked') {
      run({ type: 'park', reason: '涉及历史遗留问题，暂缓处理' }, desk);
      continue;
    }
    if (!run({ type: 'handle', feedback: '已到现场处置完毕，现场已恢复。' }, unit) || stage === 'handled') continue;
    if (e.workflow.requiresCheck) {
      if (!run({ type: 'request_check' }, desk) || stage === 'checking') continue;
      if (!run({ type: 'check_pass' }, desk) || stage === 'checked') continue;
    }
    if (!run({ type: 'close' }, desk) || stage === 'closed') continue;
    run({ type: 'evaluate', satisfaction: r() < 0.85 ? 'satisfied' : r() < 0.5 ? 'basically_satisfied' : 'dissatisfied', callbackNote: '电话回访，群众认可处理结果' }, desk);
  }

  // ── session, outbox, views, wall ──
  let user: SessionUser | null = options.signedIn ? (accountByLogin.get(options.signedIn) ?? null) : null;
  let online = true;
  const outbox: OutboxEntry[] = [];
  const submitter = new Map<number, SessionUser>();
  const savedViews = new Map<string, SavedView[]>();
  const alerts: WallAlert[] = [];
  let directive: WallDirective | null = null;
  const calls = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const raiseAlert = (e: EventRecord) => {
    if (e.source !== 'one_key' && e.urgency !== 'critical') return;
    alerts.unshift({
      id: `alert-${e.id}`,
      kind: e.source === 'one_key' ? 'one_key' : 'critical',
      eventId: e.id,
      caseNo: e.caseNo,
      title: e.title,
      address: e.address,
      location: e.location,
      townCode: e.workflow.area.townCode,
      gridCode: e.workflow.area.gridCode,
      raisedAt: e.createdAt,
      respondBy: new Date(Date.parse(e.createdAt) + 5 * 60_000).toISOString(),
      ackedAt: null,
      ackedBy: null,
    });
  };
  for (const e of [...events.values()].filter((x) => Date.parse(x.createdAt) > start.getTime() - 3 * 3_600_000)) raiseAlert(e);

  // ── rows, filters, counts ──
  const rowCache = new Map<string, { key: string; row: EventRow }>();
  const toRow = (e: EventRecord, at: Date): EventRow => {
    const key = `${e.workflow.version}:${Math.floor(at.getTime() / 30_000)}:${outboxVersion}`;
    const hit = rowCache.get(e.id);
    if (hit && hit.key === key) return hit.row;
    const counting = e.workflow.clocks.filter((c) => c.stoppedAt === null);
    const urgent = counting.length ? mostUrgentClock(counting.map((c) => clockState(c, at, cfg.calendar))) : null;
    const pending = [...outbox].reverse().find((o) => o.eventId === e.id && (o.state === 'queued' || o.state === 'sent' || o.state === 'rejected'));
    const row: EventRow = {
      id: e.id,
      caseNo: e.caseNo,
      title: e.title,
      address: e.address,
      status: e.workflow.status,
      categoryCode: e.workflow.categoryCode,
      source: e.source,
      urgency: e.urgency,
      townCode: e.workflow.area.townCode,
      villageCode: e.workflow.area.villageCode,
      gridCode: e.workflow.area.gridCode,
      location: e.location,
      reportedAt: e.workflow.reportedAt,
      updatedAt: e.workflow.updatedAt,
      leadUnitId: e.workflow.leadUnitId,
      deadline: urgent ? urgent.deadline.toISOString() : null,
      clockStatus: urgent ? urgent.status : null,
      supervisionLevel: e.workflow.supervision?.level ?? null,
      pending:
        pending && pending.mutation.name === 'event/command'
          ? { mutationId: pending.mutationId, state: pending.state === 'dismissed' ? 'confirmed' : pending.state, command: pending.mutation.command.type }
          : null,
    };
    rowCache.set(e.id, { key, row });
    return row;
  };
  let outboxVersion = 0;

  const matches = (e: EventRecord, row: EventRow, f: EventFilter, at: Date): boolean => {
    if (f.queue === 'overdue_warning') {
      if (!isOpen(row.status) || (row.clockStatus !== 'warning' && row.clockStatus !== 'overdue')) return false;
    } else if (!queueMatches(f.queue, e, { now: at, calendar: cfg.calendar, userId: user?.id ?? null })) return false;
    if (f.statuses && !f.statuses.includes(row.status)) return false;
    if (f.categoryCodes && !f.categoryCodes.some((c) => row.categoryCode?.startsWith(c))) return false;
    if (f.townCodes && !f.townCodes.includes(row.townCode ?? '')) return false;
    if (f.villageCodes && !f.villageCodes.includes(row.villageCode ?? '')) return false;
    if (f.gridCodes && !f.gridCodes.includes(row.gridCode ?? '')) return false;
    if (f.sources && !f.sources.includes(row.source)) return false;
    if (f.urgencies && !f.urgencies.includes(row.urgency)) return false;
    if (f.unitIds && !f.unitIds.some((u) => e.workflow.leadUnitId === u || e.workflow.assistingUnitIds.includes(u))) return false;
    if (f.clockStatuses && !f.clockStatuses.includes(row.clockStatus ?? ('none' as never))) return false;
    if (f.supervised !== undefined && (row.supervisionLevel !== null) !== f.supervised) return false;
    if (f.from && row.reportedAt < f.from) return false;
    if (f.to && row.reportedAt >= f.to) return false;
    if (f.openOnly && !isOpen(row.status)) return false;
    if (f.text) {
      const q = f.text.toLowerCase();
      if (![e.title, e.description, e.address ?? '', e.caseNo].some((s) => s.toLowerCase().includes(q))) return false;
    }
    return true;
  };

  const compare = (sort: EventSort) => (a: EventRow, b: EventRow) => {
    switch (sort) {
      case 'deadline':
        if (a.deadline === null && b.deadline !== null) return 1;
        if (b.deadline === null && a.deadline !== null) return -1;
        return (a.deadline ?? '').localeCompare(b.deadline ?? '') || a.reportedAt.localeCompare(b.reportedAt) || a.id.localeCompare(b.id);
      case 'reported_desc':
        return b.reportedAt.localeCompare(a.reportedAt) || b.id.localeCompare(a.id);
      case 'updated_desc':
        return b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id);
      case 'urgency':
        return URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] || (a.deadline ?? '9').localeCompare(b.deadline ?? '9') || a.id.localeCompare(b.id);
    }
  };

  // the same filter and order asked again for another page (a scrolling table): answer from the last sort
  let listCache: { key: string; rows: EventRow[] } | null = null;
  const list = (f: EventFilter, sort: EventSort): EventRow[] => {
    const at = now();
    const key = JSON.stringify([f, sort, v, outboxVersion, events.size, user?.id ?? null, Math.floor(at.getTime() / 30_000)]);
    if (listCache?.key === key) return listCache.rows;
    const out: EventRow[] = [];
    for (const e of events.values()) {
      const row = toRow(e, at);
      if (matches(e, row, f, at)) out.push(row);
    }
    out.sort(compare(sort));
    listCache = { key, rows: out };
    return out;
  };

  const counts = (): QueueCounts => {
    const result = Object.fromEntries(QueueIdSchema.options.map((q) => [q, 0])) as Record<QueueId, number>;
    const at = now();
    const filters = QueueIdSchema.options.map((q) => [q, EventFilterSchema.parse({ queue: q })] as const);
    for (const e of events.values()) {
      const row = toRow(e, at);
      for (const [q, f] of filters) if (matches(e, row, f, at)) result[q]++;
    }
    return { counts: result, checkpoint: v };
  };

  const clockViews = (e: EventRecord, at: Date): ClockView[] =>
    e.workflow.clocks.map((c) => {
      const s = clockState(c, at, cfg.calendar);
      return {
        id: c.id,
        kind: c.kind,
        status: s.status,
        paused: s.paused,
        stopped: s.stopped,
        met: s.met,
        startedAt: c.startedAt,
        deadline: s.deadline.toISOString(),
        warnFrom: s.warnFrom.toISOString(),
        remainingMs: s.remainingMs,
        usedFraction: s.usedFraction,
        limit: c.policy ? { unit: c.policy.unit, amount: c.policy.amount } : null,
      };
    });

  const distance = (a: LonLat, b: LonLat) => {
    const dx = (a[0] - b[0]) * 102_000;
    const dy = (a[1] - b[1]) * 111_000;
    return Math.hypot(dx, dy);
  };

  const detail = (id: string): EventDetail => {
    const e = events.get(id);
    if (!e) throw new HuyingError('not_found', `no event ${id}`);
    const at = now();
    const dupIds = new Set(e.duplicateCandidates);
    for (const other of events.values()) {
      if (other.duplicateCandidates.includes(e.id)) dupIds.add(other.id);
    }
    const duplicates = [...dupIds]
      .map((d) => events.get(d))
      .filter((d): d is EventRecord => !!d && isOpen(d.workflow.status) && d.id !== e.id)
      .map((d) => toRow(d, at));
    const recentSimilar = e.location
      ? [...events.values()]
          .filter((o) => o.id !== e.id && o.location && o.workflow.categoryCode?.slice(0, 4) === e.workflow.categoryCode?.slice(0, 4) && distance(o.location, e.location!) < 2500 && Date.parse(o.createdAt) > at.getTime() - 30 * 86_400_000)
          .slice(-8)
          .map((o) => toRow(o, at))
      : [];
    const grid = e.workflow.area.gridCode ? gridByCode.get(e.workflow.area.gridCode) : undefined;
    const neighbours = grid ? grids.filter((g) => g.villageCode === grid.villageCode) : [];
    return {
      event: e,
      audit: [...(audit.get(e.id) ?? [])],
      clocks: clockViews(e, at),
      duplicates,
      recentSimilar,
      nearbyWorkers: neighbours.flatMap((g) => g.workers.map((w) => ({ ...w, gridCode: g.code, distanceMetres: e.location ? Math.round(distance(g.labelPoint, e.location)) : null }))),
      pending: outbox
        .filter((o) => o.eventId === e.id && o.state !== 'dismissed' && o.mutation.name === 'event/command')
        .map((o) => ({ mutationId: o.mutationId, state: o.state === 'dismissed' ? 'confirmed' : o.state, command: o.mutation.name === 'event/command' ? o.mutation.command.type : o.mutation.name, createdAt: o.createdAt, error: o.error })),
      checkpoint: v,
    };
  };

  const status = (): SyncStatus => ({
    state: online ? 'live' : 'offline',
    dataCenterUrl: 'demo://in-memory',
    offlineSince: online ? null : now().toISOString(),
    lastBatchAt: now().toISOString(),
    version: `demo-${v}`,
    progress: null,
    message: null,
  });

  const wallState = (): WallState => ({
    alerts: alerts.filter((a) => a.ackedAt === null || Date.parse(a.ackedAt) > now().getTime() - 10 * 60_000),
    directive,
    checkpoint: v,
  });

  const service = createFakeService({
    'sync/status': () => status(),
    'areas/tree': () => tree,
    'grids/geometry': () => geometryAnswer,
    'auth/session': () => ({ user, offline: !online }),
    'auth/login': ({ login, password }) => {
      const account = accountByLogin.get(login);
      if (!account || account.password !== password) throw new HuyingError('unauthenticated', 'wrong login or password');
      user = { id: account.id, login: account.login, name: account.name, role: account.role, organisationId: account.organisationId, scope: account.scope };
      later(() => service.emit('auth/changed', { user, offline: !online }), 0);
      return { user, offline: !online };
    },
    'auth/logout': () => {
      user = null;
      later(() => service.emit('auth/changed', { user: null, offline: !online }), 0);
      return { user: null, offline: !online };
    },
    'config/get': () => ({
      documents: { calendar: calendarDoc, taxonomy: taxonomyDoc, responsibility: responsibilityDoc, workflow: workflowDoc },
      versions: { calendar: 1, taxonomy: 1, responsibility: 1, workflow: 1 },
    }),
    'units/list': () => ({ version: 'demo-1', units }),
    'events/list': ({ filter, sort, offset, limit }): EventListResult => {
      const rows = list(filter, sort);
      return { total: rows.length, offset, rows: rows.slice(offset, offset + limit), checkpoint: v };
    },
    'events/counts': () => counts(),
    'events/detail': ({ id }) => detail(id),
    'map/workers': () => ({
      workers: grids.flatMap((g) => g.workers.map((w) => ({ ...w, gridCode: g.code, position: g.labelPoint, source: 'grid' as const, fixAt: null, onDuty: true }))),
      checkpoint: v,
    }),
    'wall/state': () => wallState(),
    'commands/submit': ({ mutation }) => {
      if (!user) throw new HuyingError('unauthenticated', 'nobody is signed in');
      const at = now().toISOString();
      const entry: OutboxEntry = {
        mutationId: outbox.length + 1,
        clientId: 'desktop-demo',
        createdAt: at,
        mutation,
        eventId: mutation.name === 'event/command' ? mutation.eventId : null,
        state: 'queued',
        error: null,
        sentAt: null,
        ackedV: null,
        updatedAt: at,
      };
      outbox.push(entry);
      submitter.set(entry.mutationId, user);
      outboxVersion++;
      if (entry.eventId) later(() => service.emit('events/changed', { ids: [entry.eventId!], all: false, checkpoint: null }), 0);
      if (options.autoSettle !== false) later(pump, options.stepMs ?? 350);
      return { mutationId: entry.mutationId, clientId: entry.clientId, entry: { ...entry } };
    },
    'outbox/list': ({ states, limit }): OutboxList => ({
      entries: outbox.filter((e) => !states || states.includes(e.state)).slice(-limit),
      offline: !online,
    }),
    'outbox/dismiss': ({ mutationId }) => {
      const e = outbox.find((o) => o.mutationId === mutationId);
      if (!e) throw new HuyingError('not_found', `no outbox entry ${mutationId}`);
      if (e.state !== 'confirmed' && e.state !== 'rejected') throw new HuyingError('conflict', 'only settled commands can be dismissed');
      e.state = 'dismissed';
      e.updatedAt = now().toISOString();
      outboxVersion++;
      return { ...e };
    },
    'saved-views/list': () => ({ views: savedViews.get(user?.id ?? '') ?? [] }),
    'saved-views/save': ({ view }) => {
      if (!user) throw new HuyingError('unauthenticated', 'nobody is signed in');
      const views = (savedViews.get(user.id) ?? []).filter((x) => x.id !== view.id);
      if (views.length >= MAX_SAVED_VIEWS) throw new HuyingError('invalid_args', `at most ${MAX_SAVED_VIEWS} saved views`);
      views.push({ ...view, updatedAt: now().toISOString() } as SavedView);
      savedViews.set(user.id, views);
      return { views };
    },
    'saved-views/delete': ({ id }) => {
      if (!user) throw new HuyingError('unauthenticated', 'nobody is signed in');
      const views = (savedViews.get(user.id) ?? []).filter((x) => x.id !== id);
      savedViews.set(user.id, views);
      return { views };
    },
  });

  const emitOutbox = (changed: OutboxEntry[]) => {
    outboxVersion++;
    service.emit('outbox/changed', { entries: changed.map((e) => ({ ...e })), offline: !online });
  };

  /** the data center's side: decide with the account that submitted it */
  const process = (entry: OutboxEntry, m: Mutation, by: SessionUser): { ok: true; ids: string[] } | { ok: false; error: { code: string; message: string } } => {
    const at = now();
    switch (m.name) {
      case 'event/command': {
        const e = events.get(m.eventId);
        if (!e) return { ok: false, error: { code: 'not_found', message: `no event ${m.eventId}` } };
        let cmd = m.command as CommandInput;
        if (cmd.type === 'dispatch' && (cmd.clocks ?? []).length === 0 && e.workflow.firstDispatchedAt === null) cmd = { ...cmd, clocks: defaultClockSpecs(e, cfg) };
        const d = apply(e, cmd, actorOf(by), at);
        if (!d.ok) return { ok: false, error: { code: d.error.code, message: d.error.message } };
        if (cmd.type === 'merge') return { ok: true, ids: [e.id, cmd.intoEventId] };
        return { ok: true, ids: [e.id] };
      }
      case 'event/intake': {
        if (!['admin', 'duty_officer', 'intake_agent'].includes(by.role)) return { ok: false, error: { code: 'forbidden_role', message: `role ${by.role} may not enter events` } };
        const p = m.event as { title?: string; description?: string; address?: string; urgency?: Urgency; categoryCode?: string; location?: { lon: number; lat: number }; reporter?: { name?: string; phone?: string; organisation?: string }; file?: boolean };
        if (!p.title) return { ok: false, error: { code: 'invalid_args', message: 'title: required' } };
        const e = makeEvent(at, { urgency: p.urgency ?? 'normal', source: 'manual', ...(p.categoryCode ? { categoryCode: p.categoryCode } : {}) });
        e.title = p.title;
        e.description = p.description ?? '';
        e.address = p.address ?? e.address;
        e.externalRef = null;
        if (p.location) e.location = [p.location.lon, p.location.lat];
        e.reporter = { name: p.reporter?.name ?? null, phone: p.reporter?.phone ?? null, organisation: p.reporter?.organisation ?? null };
        e.attachments = [];
        if (p.file) apply(e, { type: 'file' }, actorOf(by), at);
        raiseAlert(e);
        return { ok: true, ids: [e.id] };
      }
      case 'wall/directive': {
        const parsedDirective = WallDirectiveSchema.safeParse(m.directive);
        if (!parsedDirective.success) return { ok: false, error: { code: 'invalid_args', message: parsedDirective.error.message } };
        if (by.role === 'wall_viewer') return { ok: false, error: { code: 'forbidden_role', message: 'a wall viewer may not push views' } };
        directive = parsedDirective.data;
        service.emit('wall/changed', wallState());
        return { ok: true, ids: [] };
      }
      case 'wall/ack': {
        const a = alerts.find((x) => x.id === m.alertId);
        if (!a) return { ok: false, error: { code: 'not_found', message: `no alert ${m.alertId}` } };
        if (a.ackedAt) return { ok: false, error: { code: 'illegal_transition', message: 'the alert was acknowledged already' } };
        if (by.role === 'wall_viewer') return { ok: false, error: { code: 'forbidden_role', message: 'a wall viewer may not acknowledge alerts' } };
        a.ackedAt = at.toISOString();
        a.ackedBy = { id: by.id, name: by.name };
        service.emit('wall/changed', wallState());
        return { ok: true, ids: [] };
      }
    }
    void entry;
  };

  /** one step for every entry: queued → sent, sent → confirmed | rejected */
  const step = (): boolean => {
    if (!online) return false;
    const changed: OutboxEntry[] = [];
    const eventIds = new Set<string>();
    for (const entry of outbox) {
      if (entry.state === 'sent') {
        const outcome = process(entry, entry.mutation, submitter.get(entry.mutationId) ?? duty);
        v++;
        entry.ackedV = v;
        entry.updatedAt = now().toISOString();
        if (outcome.ok) {
          entry.state = 'confirmed';
          outcome.ids.forEach((id) => eventIds.add(id));
        } else {
          entry.state = 'rejected';
          entry.error = outcome.error;
        }
        if (entry.eventId) eventIds.add(entry.eventId);
        changed.push(entry);
      } else if (entry.state === 'queued') {
        entry.state = 'sent';
        entry.sentAt = now().toISOString();
        entry.updatedAt = entry.sentAt;
        changed.push(entry);
      }
    }
    if (changed.length) emitOutbox(changed);
    if (eventIds.size) service.emit('events/changed', { ids: [...eventIds], all: false, checkpoint: { epoch: 'demo', v } });
    return changed.length > 0;
  };
  const pump = () => {
    if (step() && options.autoSettle !== false) later(pump, options.stepMs ?? 350);
  };

  const arrive: DemoService['arrive'] = (partial = {}) => {
    const e = makeEvent(now(), partial);
    v++;
    raiseAlert(e);
    service.emit('events/changed', { ids: [e.id], all: false, checkpoint: { epoch: 'demo', v } });
    if (e.source === 'one_key' || e.urgency === 'critical') service.emit('wall/changed', wallState());
    return e;
  };

  let simTimer: ReturnType<typeof setInterval> | null = null;
  if (options.simulateEveryMs) simTimer = setInterval(() => arrive(r() < 0.25 ? { urgency: 'urgent' } : {}), options.simulateEveryMs);

  const originalHandlers = service.handlers;
  for (const name of Object.keys(originalHandlers) as (keyof typeof originalHandlers)[]) {
    const h = originalHandlers[name] as (a: unknown) => unknown;
    (originalHandlers as Record<string, (a: unknown) => unknown>)[name] = (a: unknown) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return h(a);
    };
  }

  return Object.assign(service, {
    cfg,
    units,
    grids,
    events,
    audit,
    outbox,
    calls,
    get online() {
      return online;
    },
    user: () => user,
    setOnline(on: boolean) {
      online = on;
      service.emit('sync/status', status());
      service.emit('outbox/changed', { entries: outbox.filter((e) => e.state === 'queued' || e.state === 'sent').map((e) => ({ ...e })), offline: !on });
      if (on && options.autoSettle !== false) later(pump, options.stepMs ?? 350);
    },
    step: () => step(),
    settle() {
      while (step()) {
        /* until nothing moves */
      }
    },
    act(eventId: string, command: CommandInput, login: string): Decision {
      const e = events.get(eventId);
      const account = accountByLogin.get(login);
      if (!e) throw new Error(`no event ${eventId}`);
      const actor = account ? actorOf(account) : unitActor(login);
      const d = apply(e, command, actor, now());
      if (d.ok) {
        v++;
        service.emit('events/changed', { ids: [eventId], all: false, checkpoint: { epoch: 'demo', v } });
      }
      return d;
    },
    arrive,
    stop() {
      if (simTimer) clearInterval(simTimer);
      timers.forEach((t) => clearTimeout(t));
      timers.clear();
    },
  }) as DemoService;
}
