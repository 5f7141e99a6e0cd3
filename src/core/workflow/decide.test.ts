import { describe, expect, it } from 'vitest';
import calendarJson from '../../../resources/config/calendar-cn.json';
import workflowJson from '../../../resources/config/workflow-demo.json';
import { instantAt, parseCalendar, workingTimeBetween } from '../calendar';
import { clockState } from '../sla';
import {
  COMMAND_FROM,
  COMMAND_TYPES,
  WorkflowEvent,
  allowedCommands,
  decide,
  dueAutomaticCommands,
  newEvent,
  nextAutomaticCheckAt,
  parseWorkflowConfig,
  systemActor,
  type Actor,
  type CommandInput,
  type CommandType,
  type DecideContext,
  type EventArea,
  type EventStatus,
} from './index';

const calR = parseCalendar(calendarJson);
const cfgR = parseWorkflowConfig(workflowJson);
if (!calR.ok || !cfgR.ok) throw new Error('demo configuration does not load');
const ctx: DecideContext = { calendar: calR.value, config: cfgR.value };
const at = (date: string, time: string) => instantAt(ctx.calendar, date, time);

const TOWN = '440114001000';
const VILLAGE = '440114001001';
const area: EventArea = { districtCode: '440114', townCode: TOWN, villageCode: VILLAGE, gridCode: `${VILLAGE}001` };
const district = { level: 'district', code: '440114' } as const;

const actor = (role: Actor['role'], organisationId = 'district-440114', scope: Actor['scope'] = district): Actor => ({
  id: `${role}-${organisationId}`,
  name: role,
  role,
  organisationId,
  scope,
});
const admin = actor('admin');
const duty = actor('duty_officer');
const supervisor = actor('supervisor');
const intake = actor('intake_agent');
const wall = actor('wall_viewer');
const townDuty = actor('duty_officer', `town-${TOWN}`, { level: 'town', code: TOWN });
const otherTownDuty = actor('duty_officer', 'town-440114002000', { level: 'town', code: '440114002000' });
const otherVillageDuty = actor('duty_officer', 'village-440114001002', { level: 'village', code: '440114001002' });
const lead = actor('unit_operator', 'dept-cg');
const assisting = actor('unit_operator', 'dept-zj');
const stranger = actor('unit_operator', 'dept-sw');
const system = systemActor('440114');

const T0 = at('2025-09-29', '09:30'); // a Monday
const DISPATCH: CommandInput = {
  type: 'dispatch',
  leadUnitId: 'dept-cg',
  assistingUnitIds: ['dept-zj'],
  clocks: [
    { policy: { clock: 'hotline', unit: 'working_days', amount: 15 } },
    { policy: { clock: 'urban', unit: 'working_hours', amount: 5 } },
  ],
};

/** Applies commands in order, ten minutes apart, failing loudly if one is refused. */
function drive(steps: [CommandInput, Actor][], opts: { requiresCheck?: boolean; start?: Date } = {}) {
  let event = newEvent({ id: 'E1', area, reportedAt: opts.start ?? T0, requiresCheck: opts.requiresCheck ?? true });
  let now = opts.start ?? T0;
  for (const [cmd, who] of steps) {
    now = new Date(now.getTime() + 10 * 60_000);
    const d = decide(event, cmd, who, now, ctx);
    if (!d.ok) throw new Error(`${cmd.type} refused: ${d.error.code} ${d.error.message}`);
    event = d.next;
  }
  return { event, now: new Date(now.getTime() + 10 * 60_000) };
}

const PATHS: Record<EventStatus, [CommandInput, Actor][]> = (() => {
  const filed: [CommandInput, Actor][] = [[{ type: 'file', categoryCode: '04' }, intake]];
  const dispatched: [CommandInput, Actor][] = [...filed, [DISPATCH, duty]];
  const signed: [CommandInput, Actor][] = [...dispatched, [{ type: 'sign' }, lead]];
  const inProgress: [CommandInput, Actor][] = [...signed, [{ type: 'start' }, lead]];
  const handled: [CommandInput, Actor][] = [...inProgress, [{ type: 'handle', feedback: '已清理' }, lead]];
  const checking: [CommandInput, Actor][] = [...handled, [{ type: 'request_check' }, duty]];
  const checked: [CommandInput, Actor][] = [...checking, [{ type: 'check_pass' }, duty]];
  const closed: [CommandInput, Actor][] = [...checked, [{ type: 'close' }, duty]];
  return {
    reported: [],
    verifying: [[{ type: 'verify' }, intake]],
    filed,
    rejected: [[{ type: 'reject', reason: '不属于受理范围' }, intake]],
    dispatched,
    bounced: [...dispatched, [{ type: 'bounce', reasonCode: 'not_our_responsibility' }, lead]],
    signed,
    in_progress: inProgress,
    parked: [...inProgress, [{ type: 'park', reason: '需纳入明年预算' }, supervisor]],
    handled,
    checking,
    checked,
    rework: [...checking, [{ type: 'check_fail', reason: '现场仍有垃圾' }, duty]],
    closed,
    evaluated: [...closed, [{ type: 'evaluate', satisfaction: 'satisfied' }, intake]],
    merged: [[{ type: 'merge', intoEventId: 'E0' }, intake]],
    cancelled: [...filed, [{ type: 'cancel', reason: '群众撤回' }, duty]],
  };
})();

const eventIn = (status: EventStatus, opts: { requiresCheck?: boolean } = {}) => {
  const r = drive(PATHS[status], opts);
  expect(r.event.status).toBe(status);
  return r;
};

/** A valid payload of each command for the allowed-transition table. */
const SAMPLE: Record<CommandType, CommandInput> = {
  verify: { type: 'verify' },
  file: { type: 'file' },
  reject: { type: 'reject', reason: '重复' },
  dispatch: DISPATCH,
  reassign: { type: 'reassign', leadUnitId: 'dept-sw', reason: '职责调整' },
  force_assign: { type: 'force_assign', reason: '按职责强制派单' },
  sign: { type: 'sign' },
  bounce: { type: 'bounce', reasonCode: 'wrong_location' },
  start: { type: 'start' },
  handle: { type: 'handle', feedback: '已处置' },
  request_extension: { type: 'request_extension', duration: { unit: 'working_days', amount: 3 }, reason: '需协调' },
  grant_extension: { type: 'grant_extension' },
  refuse_extension: { type: 'refuse_extension', reason: '时限充足' },
  park: { type: 'park', reason: '需立项' },
  unpark: { type: 'unpark' },
  request_check: { type: 'request_check' },
  check_pass: { type: 'check_pass' },
  check_fail: { type: 'check_fail', reason: '未整改到位' },
  close: { type: 'close' },
  evaluate: { type: 'evaluate', satisfaction: 4, callbackNote: '群众认可' },
  merge: { type: 'merge', intoEventId: 'E0' },
  cancel: { type: 'cancel', reason: '误报' },
  supervise: { type: 'supervise', level: 1, reason: '群众多次来电' },
  escalate: { type: 'escalate', reason: '网格无法解决' },
};

// every allowed (from, command) pair and the state it leads to
const ALLOWED: [EventStatus, CommandType, EventStatus][] = [
  ['reported', 'verify', 'verifying'],
  ['reported', 'file', 'filed'],
  ['verifying', 'file', 'filed'],
  ['reported', 'reject', 'rejected'],
  ['verifying', 'reject', 'rejected'],
  ['filed', 'dispatch', 'dispatched'],
  ['bounced', 'dispatch', 'dispatched'],
  ...(['dispatched', 'signed', 'in_progress', 'rework'] as const).map((s) => [s, 'reassign', 'dispatched'] as [EventStatus, CommandType, EventStatus]),
  ['dispatched', 'force_assign', 'dispatched'],
  ['bounced', 'force_assign', 'dispatched'],
  ['dispatched', 'sign', 'signed'],
  ['dispatched', 'bounce', 'bounced'],
  ['signed', 'start', 'in_progress'],
  ['rework', 'start', 'in_progress'],
  ['signed', 'handle', 'handled'],
  ['in_progress', 'handle', 'handled'],
  ['rework', 'handle', 'handled'],
  ...(['dispatched', 'signed', 'in_progress', 'rework'] as const).flatMap((s) =>
    (['request_extension', 'park'] as const).map((c) => [s, c, c === 'park' ? 'parked' : s] as [EventStatus, CommandType, EventStatus]),
  ),
  ...(['dispatched', 'signed', 'in_progress', 'rework', 'parked'] as const).flatMap((s) =>
    (['grant_extension', 'refuse_extension'] as const).map((c) => [s, c, s] as [EventStatus, CommandType, EventStatus]),
  ),
  ['parked', 'unpark', 'in_progress'],
  ['handled', 'request_check', 'checking'],
  ['checking', 'check_pass', 'checked'],
  ['checking', 'check_fail', 'rework'],
  ['handled', 'close', 'closed'],
  ['checked', 'close', 'closed'],
  ['closed', 'evaluate', 'evaluated'],
  ...(['reported', 'verifying', 'filed', 'dispatched', 'bounced'] as const).map((s) => [s, 'merge', 'merged'] as [EventStatus, CommandType, EventStatus]),
  ...(['reported', 'verifying', 'filed', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'rework'] as const).map(
    (s) => [s, 'cancel', 'cancelled'] as [EventStatus, CommandType, EventStatus],
  ),
  ...(['reported', 'verifying', 'filed', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'handled', 'checking', 'checked', 'rework'] as const).map(
    (s) => [s, 'supervise', s] as [EventStatus, CommandType, EventStatus],
  ),
  ...(['filed', 'dispatched', 'bounced', 'signed', 'in_progress', 'parked', 'rework'] as const).map((s) => [s, 'escalate', s] as [EventStatus, CommandType, EventStatus]),
];

describe('every allowed transition', () => {
  it('the table lists exactly the pairs the rules allow', () => {
    const fromRules = COMMAND_TYPES.flatMap((t) => COMMAND_FROM[t].map((s) => `${s}:${t}`)).sort();
    expect(ALLOWED.map(([s, t]) => `${s}:${t}`).sort()).toEqual(fromRules);
  });

  it.each(ALLOWED)('%s --%s--> %s', (from, type, to) => {
    const needsPending = type === 'grant_extension' || type === 'refuse_extension';
    let steps = PATHS[from];
    if (needsPending) {
      // ask for the extension while the unit still holds the event, then park if needed
      const base = from === 'parked' ? PATHS.in_progress : PATHS[from];
      steps = [...base, [SAMPLE.request_extension, admin]];
      if (from === 'parked') steps.push([{ type: 'park', reason: '待协调' }, duty]);
    }
    const { event, now } = drive(steps, { requiresCheck: !(from === 'handled' && type === 'close') });
    expect(event.status).toBe(from);
    const d = decide(event, SAMPLE[type], admin, now, ctx);
    if (!d.ok) throw new Error(`${d.error.code}: ${d.error.message}`);
    expect(d.next.status).toBe(to);
    expect(d.audit).toMatchObject({ from, to, command: type, seq: event.version + 1, role: 'admin' });
    expect(WorkflowEvent.safeParse(d.next).success).toBe(true);
  });
});

describe('forbidden transitions', () => {
  const TERMINAL: EventStatus[] = ['rejected', 'evaluated', 'merged', 'cancelled'];
  it.each(TERMINAL)('a %s event accepts nothing', (status) => {
    const { event, now } = eventIn(status);
    for (const type of COMMAND_TYPES) {
      const d = decide(event, SAMPLE[type], admin, now, ctx);
      expect(d.ok ? 'accepted' : d.error.code, `${type} on ${status}`).toBe('illegal_transition');
    }
  });

  it('a closed event accepts only the evaluation', () => {
    const { event, now } = eventIn('closed');
    const accepted = COMMAND_TYPES.filter((t) => decide(event, SAMPLE[t], admin, now, ctx).ok);
    expect(accepted).toEqual(['evaluate']);
    expect(allowedCommands(event, admin)).toEqual(['evaluate']);
  });

  it.each<[EventStatus, CommandType]>([
    ['reported', 'dispatch'],
    ['filed', 'sign'],
    ['dispatched', 'handle'],
    ['signed', 'bounce'],
    ['handled', 'check_pass'],
    ['checking', 'close'],
    ['in_progress', 'evaluate'],
    ['parked', 'handle'],
    ['rework', 'request_check'],
    ['handled', 'park'],
  ])('%s --%s--> refused', (status, type) => {
    const { event, now } = eventIn(status);
    const d = decide(event, SAMPLE[type], admin, now, ctx);
    expect(d.ok ? 'accepted' : d.error.code).toBe('illegal_transition');
  });

  it('needs a check before closing when the category asks for one', () => {
    const { event, now } = eventIn('handled', { requiresCheck: true });
    const d = decide(event, { type: 'close' }, duty, now, ctx);
    expect(d.ok ? 'accepted' : d.error.code).toBe('check_required');
  });
});

describe('role and scope guards', () => {
  it('a wall viewer can do nothing', () => {
    for (const status of ['reported', 'dispatched', 'in_progress', 'closed'] as EventStatus[]) {
      const { event, now } = eventIn(status);
      for (const type of COMMAND_TYPES) {
        const d = decide(event, SAMPLE[type], wall, now, ctx);
        expect(d.ok ? 'accepted' : d.error.code).toBe('forbidden_role');
      }
      expect(allowedCommands(event, wall)).toEqual([]);
    }
  });

  it('checks roles per command', () => {
    const filed = eventIn('filed');
    expect(decide(filed.event, DISPATCH, intake, filed.now, ctx)).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
    expect(decide(filed.event, DISPATCH, supervisor, filed.now, ctx)).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
    expect(decide(filed.event, DISPATCH, duty, filed.now, ctx).ok).toBe(true);
    const handled = eventIn('handled', { requiresCheck: false });
    expect(decide(handled.event, { type: 'close' }, lead, handled.now, ctx)).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
    expect(decide(handled.event, { type: 'close' }, system, handled.now, ctx)).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
  });

  it('a town officer cannot touch another town’s events, nor a village officer another village’s', () => {
    const { event, now } = eventIn('filed');
    expect(decide(event, DISPATCH, otherTownDuty, now, ctx)).toMatchObject({ ok: false, error: { code: 'out_of_scope' } });
    expect(decide(event, DISPATCH, otherVillageDuty, now, ctx)).toMatchObject({ ok: false, error: { code: 'out_of_scope' } });
    expect(decide(event, DISPATCH, townDuty, now, ctx).ok).toBe(true);
    expect(allowedCommands(event, otherTownDuty)).toEqual([]);
  });

  it('an event outside every town is for district scope only', () => {
    const outside = newEvent({ id: 'X', area: { districtCode: '440114', townCode: null, villageCode: null, gridCode: null }, reportedAt: T0 });
    expect(decide(outside, { type: 'verify' }, townDuty, T0, ctx)).toMatchObject({ ok: false, error: { code: 'out_of_scope' } });
    expect(decide(outside, { type: 'verify' }, duty, T0, ctx).ok).toBe(true);
  });

  it('a unit operator acts only on events of their unit; assisting units sign and feed back their own part', () => {
    const { event, now } = eventIn('dispatched');
    expect(decide(event, { type: 'sign' }, stranger, now, ctx)).toMatchObject({ ok: false, error: { code: 'not_assigned_unit' } });
    expect(decide(event, SAMPLE.bounce, assisting, now, ctx)).toMatchObject({ ok: false, error: { code: 'not_lead_unit' } });
    expect(decide(event, SAMPLE.request_extension, assisting, now, ctx)).toMatchObject({ ok: false, error: { code: 'not_lead_unit' } });

    const a = decide(event, { type: 'sign' }, assisting, now, ctx);
    if (!a.ok) throw new Error(a.error.code);
    expect(a.next.status).toBe('dispatched');
    expect(a.next.unitProgress.find((p) => p.unitId === 'dept-zj')?.signedAt).toBe(now.toISOString());
    expect(decide(a.next, { type: 'sign' }, assisting, now, ctx)).toMatchObject({ ok: false, error: { code: 'illegal_transition' } });

    const l = decide(a.next, { type: 'sign' }, lead, now, ctx);
    if (!l.ok) throw new Error(l.error.code);
    expect(l.next.status).toBe('signed');
    const fb = decide(l.next, { type: 'handle', feedback: '协办部分完成' }, assisting, now, ctx);
    if (!fb.ok) throw new Error(fb.error.code);
    expect(fb.next.status).toBe('signed');
    expect(fb.next.clocks.every((c) => c.stoppedAt === null)).toBe(true);
    // unit operators never use area scope: a department is district-wide
    expect(allowedCommands(event, lead).sort()).toEqual(['bounce', 'request_extension', 'sign']);
  });

  it('lets a duty officer raise supervision to level 1 only, and supervision only goes up', () => {
    const { event, now } = eventIn('in_progress');
    expect(decide(event, { type: 'supervise', level: 2, reason: 'x' }, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
    const s = decide(event, { type: 'supervise', level: 2, reason: '多次投诉' }, supervisor, now, ctx);
    if (!s.ok) throw new Error(s.error.code);
    expect(s.next.supervision).toMatchObject({ level: 2, reason: '多次投诉', byActorId: supervisor.id });
    expect(decide(s.next, { type: 'supervise', level: 1, reason: 'x' }, supervisor, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
    expect(decide(s.next, { type: 'supervise', level: 3, reason: '挂牌' }, admin, now, ctx).ok).toBe(true);
  });
});

describe('reasons and command rules', () => {
  it('asks for a reason where one is required', () => {
    const { event, now } = eventIn('dispatched');
    expect(decide(event, { type: 'bounce', reasonCode: 'other' }, lead, now, ctx)).toMatchObject({ ok: false, error: { code: 'missing_reason' } });
    expect(decide(event, { type: 'bounce', reasonCode: 'other', reason: '   ' }, lead, now, ctx)).toMatchObject({ ok: false, error: { code: 'missing_reason' } });
    expect(decide(event, { type: 'park' }, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'missing_reason' } });
    expect(decide(event, { type: 'cancel' }, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'missing_reason' } });
    const r = eventIn('reported');
    expect(decide(r.event, { type: 'reject' }, intake, r.now, ctx)).toMatchObject({ ok: false, error: { code: 'missing_reason' } });
  });

  it('rejects malformed commands with field errors', () => {
    const { event, now } = eventIn('filed');
    const d = decide(event, { type: 'dispatch' } as unknown as CommandInput, duty, now, ctx);
    expect(d).toMatchObject({ ok: false, error: { code: 'invalid_command' } });
    if (!d.ok) expect(d.error.details).toContainEqual(expect.objectContaining({ field: 'leadUnitId' }));
    expect(decide(event, { type: 'teleport' } as unknown as CommandInput, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_command' } });
    const e = eventIn('closed');
    expect(decide(e.event, { type: 'evaluate', satisfaction: 6 }, intake, e.now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_command' } });
  });

  it('refuses odd targets', () => {
    const { event, now } = eventIn('filed');
    expect(decide(event, { ...DISPATCH, assistingUnitIds: ['dept-cg'] } as CommandInput, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
    expect(decide(event, { type: 'merge', intoEventId: 'E1' }, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
    const twoClocks: CommandInput = {
      type: 'dispatch',
      leadUnitId: 'dept-cg',
      clocks: [{ policy: { clock: 'urban', unit: 'working_hours', amount: 5 } }, { policy: { clock: 'urban', unit: 'working_days', amount: 1 } }],
    };
    expect(decide(event, twoClocks, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
  });

  it('forbids bouncing a forced assignment', () => {
    const { event, now } = eventIn('bounced');
    expect(event.lastBounce).toMatchObject({ unitId: 'dept-cg', reasonCode: 'not_our_responsibility' });
    const f = decide(event, { type: 'force_assign', reason: '经研判属城管职责' }, supervisor, now, ctx);
    if (!f.ok) throw new Error(f.error.code);
    expect(f.next).toMatchObject({ status: 'dispatched', leadUnitId: 'dept-cg', forcedAssignment: true });
    expect(decide(f.next, SAMPLE.bounce, lead, now, ctx)).toMatchObject({ ok: false, error: { code: 'bounce_not_allowed' } });
    expect(decide(f.next, { type: 'sign' }, lead, now, ctx).ok).toBe(true);
  });

  it('grants extensions only when requested before the deadline, one request at a time', () => {
    const { event, now } = eventIn('in_progress');
    const req = decide(event, SAMPLE.request_extension, lead, now, ctx);
    if (!req.ok) throw new Error(req.error.code);
    expect(req.next.pendingExtension).toMatchObject({ clockIds: ['hotline', 'urban'], unitId: 'dept-cg', reason: '需协调' });
    expect(decide(req.next, SAMPLE.request_extension, lead, now, ctx)).toMatchObject({ ok: false, error: { code: 'extension_pending' } });
    const before = clockState(req.next.clocks[1]!, now, ctx.calendar).deadline;
    const g = decide(req.next, { type: 'grant_extension', duration: { unit: 'working_hours', amount: 2 } }, supervisor, now, ctx);
    if (!g.ok) throw new Error(g.error.code);
    const after = clockState(g.next.clocks[1]!, now, ctx.calendar).deadline;
    // two working hours after 16:50: 70 minutes on Monday, 50 on Tuesday morning
    expect(after).toEqual(at('2025-09-30', '09:50'));
    expect(workingTimeBetween(ctx.calendar, before, after)).toBe(2 * 3_600_000);
    expect(g.next).toMatchObject({ pendingExtension: null, extensionsGranted: 1 });
    expect(decide(g.next, { type: 'refuse_extension', reason: 'x' }, supervisor, now, ctx)).toMatchObject({ ok: false, error: { code: 'no_pending_extension' } });

    // the urban clock (5 working hours from Mon 09:50) ran out at 16:50: too late to ask
    const late = at('2025-09-29', '17:00');
    expect(decide(event, SAMPLE.request_extension, lead, late, ctx)).toMatchObject({ ok: false, error: { code: 'deadline_passed' } });
    // the hotline clock alone can still be extended
    expect(decide(event, { ...SAMPLE.request_extension, clockIds: ['hotline'] } as CommandInput, lead, late, ctx).ok).toBe(true);
    expect(decide(event, { ...SAMPLE.request_extension, clockIds: ['nope'] } as CommandInput, lead, late, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
  });
});

describe('clocks through the workflow', () => {
  it('starts clocks on dispatch and keeps them through a bounce and re-dispatch', () => {
    const { event } = eventIn('dispatched');
    expect(event.clocks.map((c) => [c.id, c.baseDeadline])).toEqual([
      // dispatched Mon 9/29 09:50: 15 working days (with make-up Sat 10/11) and 5 working hours
      ['hotline', at('2025-10-27', '18:00').toISOString()],
      ['urban', at('2025-09-29', '16:50').toISOString()],
    ]);
    const b = eventIn('bounced');
    const re = decide(b.event, { ...DISPATCH, leadUnitId: 'dept-sw' } as CommandInput, duty, b.now, ctx);
    if (!re.ok) throw new Error(re.error.code);
    expect(re.next.clocks).toEqual(b.event.clocks);
    expect(re.next.firstDispatchedAt).toBe(b.event.firstDispatchedAt);
    expect(re.next.unitProgress.map((p) => [p.unitId, p.role])).toEqual([
      ['dept-sw', 'lead'],
      ['dept-zj', 'assisting'],
    ]);
  });

  it('pauses while parked, stops on feedback, restarts on rework and stays stopped when closed', () => {
    const parked = eventIn('parked');
    expect(parked.event.parkedFrom).toBe('in_progress');
    expect(parked.event.clocks.every((c) => c.pauses.at(-1)?.to === null)).toBe(true);
    const un = decide(parked.event, { type: 'unpark' }, duty, parked.now, ctx);
    if (!un.ok) throw new Error(un.error.code);
    expect(un.next.clocks.every((c) => c.pauses.every((p) => p.to !== null))).toBe(true);

    const handled = eventIn('handled');
    expect(handled.event.clocks.every((c) => c.stoppedAt !== null)).toBe(true);
    expect(handled.event.feedback?.text).toBe('已清理');
    const rework = eventIn('rework');
    expect(rework.event.reworkCount).toBe(1);
    expect(rework.event.clocks.every((c) => c.stoppedAt === null && c.pauses.at(-1)?.reason === 'checking')).toBe(true);
    const closed = eventIn('closed');
    expect(closed.event.clocks.every((c) => c.stoppedAt !== null)).toBe(true);
    const cancelled = drive([...PATHS.in_progress, [{ type: 'cancel', reason: '重复' }, duty]]);
    expect(cancelled.event.clocks.every((c) => c.stoppedAt !== null)).toBe(true);
  });

  it('records the evaluation in both forms', () => {
    const { event, now } = eventIn('closed');
    const d = decide(event, { type: 'evaluate', satisfaction: 'basically_satisfied', callbackNote: '回访：基本满意' }, intake, now, ctx);
    if (!d.ok) throw new Error(d.error.code);
    expect(d.next.evaluation).toMatchObject({ score: 3, level: 'basically_satisfied', callbackNote: '回访：基本满意' });
  });
});

describe('escalation ladder and automatic supervision', () => {
  it('climbs one rung at a time with per-rung countdowns, never down, never past the top', () => {
    const { event, now } = eventIn('in_progress');
    const g = decide(event, { type: 'escalate', reason: '网格上报' }, duty, now, ctx);
    if (!g.ok) throw new Error(g.error.code);
    // grid rung: 4 working hours from Mon 10:20
    expect(g.next.escalation).toMatchObject({ rung: 'grid', deadline: at('2025-09-29', '16:20').toISOString() });
    const v = decide(g.next, { type: 'escalate', reason: '村居协调' }, duty, now, ctx);
    if (!v.ok) throw new Error(v.error.code);
    // village rung: 1 working day → close of business Tuesday
    expect(v.next.escalation).toMatchObject({ rung: 'village', deadline: at('2025-09-30', '18:00').toISOString() });
    expect(decide(v.next, { type: 'escalate', toRung: 'grid', reason: 'x' }, duty, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
    const top = decide(v.next, { type: 'escalate', toRung: 'district_leader', reason: '区领导协调' }, supervisor, now, ctx);
    if (!top.ok) throw new Error(top.error.code);
    expect(decide(top.next, { type: 'escalate', reason: 'x' }, supervisor, now, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_target' } });
  });

  it('raises supervision for an overdue clock and escalates an expired rung, through decide as the system', () => {
    const { event, now } = eventIn('in_progress');
    const g = decide(event, { type: 'escalate', reason: '网格上报' }, duty, now, ctx);
    if (!g.ok) throw new Error(g.error.code);
    expect(dueAutomaticCommands(g.next, now, ctx)).toEqual([]);
    // next look: the urban clock warns at 80 % of 5 h (15:50), before the grid rung runs out (16:20)
    expect(nextAutomaticCheckAt(g.next, now, ctx)).toEqual(at('2025-09-29', '15:50'));
    const later = at('2025-09-29', '17:00');
    const due = dueAutomaticCommands(g.next, later, ctx);
    expect(due.map((c) => c.type)).toEqual(['supervise', 'escalate']);
    let e = g.next;
    for (const c of due) {
      const d = decide(e, c, system, later, ctx);
      if (!d.ok) throw new Error(d.error.code);
      expect(d.audit.role).toBe('system');
      e = d.next;
    }
    expect(e.supervision?.level).toBe(1);
    expect(e.escalation?.rung).toBe('village');
    expect(dueAutomaticCommands(e, later, ctx)).toEqual([]);
  });
});

describe('audit entries', () => {
  it('carry actor, role, organisation, time, command, states, reason and attachments', () => {
    const { event, now } = eventIn('dispatched');
    const photo = { id: 'att-1', name: '现场.jpg', mediaType: 'image/jpeg', sizeBytes: 1024 };
    const d = decide(event, { type: 'bounce', reasonCode: 'wrong_location', reason: '地址不在辖区', attachments: [photo] }, lead, now, ctx);
    if (!d.ok) throw new Error(d.error.code);
    expect(d.audit).toEqual({
      eventId: 'E1',
      seq: event.version + 1,
      at: now.toISOString(),
      actorId: lead.id,
      actorName: lead.name,
      role: 'unit_operator',
      organisationId: 'dept-cg',
      command: 'bounce',
      from: 'dispatched',
      to: 'bounced',
      reason: '地址不在辖区',
      reasonCode: 'wrong_location',
      attachments: [photo],
      payload: { type: 'bounce', reasonCode: 'wrong_location', reason: '地址不在辖区', attachments: [photo] },
    });
  });

  it('never mutates the event it decides on', () => {
    const { event, now } = eventIn('in_progress');
    const frozen = deepFreeze(structuredClone(event));
    for (const type of COMMAND_TYPES) decide(frozen, SAMPLE[type], admin, now, ctx);
    expect(frozen).toEqual(event);
  });
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
