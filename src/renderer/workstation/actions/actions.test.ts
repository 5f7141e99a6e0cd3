/**
 * Which actions each role is offered (straight from `allowedCommands` and a
 * `decide` probe), and what the dispatch dialog proposes: the matrix's unit
 * and deadlines computed on the real working calendar.
 */
import { describe, expect, it } from 'vitest';
import calendar from '../../../../resources/config/calendar-cn.json';
import responsibility from '../../../../resources/config/responsibility-demo.json';
import taxonomy from '../../../../resources/config/taxonomy-demo.json';
import workflow from '../../../../resources/config/workflow-demo.json';
import type { EventRecord } from '../../../core/events/types';
import { computeDeadline } from '../../../core/sla/policy';
import type { CommandInput } from '../../../core/workflow/commands';
import { decide } from '../../../core/workflow/decide';
import { parseDomainConfig } from '../../../core/workflow/domain-config';
import { newEvent, type WorkflowEvent } from '../../../core/workflow/event';
import type { Actor } from '../../../core/workflow/roles';
import { availableActions } from './catalogue';
import { shortTime } from '../EventTable';
import { formatDeadline } from './DispatchDialog';
import { planDispatch } from './dispatch-plan';

const parsed = parseDomainConfig({ calendar, taxonomy, responsibility, workflow });
if (!parsed.ok) throw new Error(parsed.error.message);
const cfg = parsed.value;

const D = '440114';
const HUADONG = '440114105000';
const XINHUA = '440114001000';
const scope = { level: 'district' as const, code: D };
const actor = (role: Actor['role'], extra: Partial<Actor> = {}): Actor => ({ id: `u-${role}`, name: role, role, organisationId: `district-${D}`, scope, ...extra });
const duty = actor('duty_officer');
const supervisor = actor('supervisor');
const wallViewer = actor('wall_viewer');
const intake = actor('intake_agent');
const unitCg = actor('unit_operator', { organisationId: 'dept-cg' });
const townOfficer = actor('duty_officer', { scope: { level: 'town', code: XINHUA }, organisationId: `town-${XINHUA}` });

const at = new Date('2026-03-10T02:00:00.000Z'); // Tue 10:00 in Guangzhou

function event(town = HUADONG, category = '040101'): WorkflowEvent {
  return newEvent({ id: 'e1', area: { districtCode: D, townCode: town, villageCode: `${town.slice(0, 9)}001`, gridCode: `${town.slice(0, 9)}001001` }, reportedAt: at, categoryCode: category, requiresCheck: true });
}

function run(e: WorkflowEvent, ...steps: [CommandInput, Actor][]): WorkflowEvent {
  let cur = e;
  for (const [cmd, who] of steps) {
    const d = decide(cur, cmd, who, at, cfg);
    if (!d.ok) throw new Error(`${cmd.type}: ${d.error.code}`);
    cur = d.next;
  }
  return cur;
}

const types = (e: WorkflowEvent, a: Actor, mergeTarget: string | null = null) => availableActions(e, a, { ctx: cfg, now: at, mergeTarget }).map((x) => x.type);

const filed = () => run(event(), [{ type: 'file' }, duty]);
const dispatched = () => run(filed(), [{ type: 'dispatch', leadUnitId: 'dept-cg', clocks: [{ policy: { clock: 'internal', unit: 'working_days', amount: 5 } }] }, duty]);
const inProgress = () => run(dispatched(), [{ type: 'sign' }, unitCg], [{ type: 'start' }, unitCg]);

describe('availableActions per role', () => {
  it('a duty officer verifies, files, rejects and merges a new report; an intake agent too; a supervisor may not file', () => {
    expect(types(event(), duty, 'e2')).toEqual(['verify', 'file', 'reject', 'merge', 'supervise', 'cancel']);
    expect(types(event(), duty)).not.toContain('merge');
    expect(types(event(), intake, 'e2')).toEqual(['verify', 'file', 'reject', 'merge']);
    expect(types(event(), supervisor)).toEqual(['supervise', 'cancel']);
  });

  it('a wall viewer is offered nothing, at any stage', () => {
    for (const e of [event(), filed(), dispatched(), inProgress()]) expect(types(e, wallViewer, 'e2')).toEqual([]);
  });

  it('dispatch only for the desk; a supervisor reassigns and forces instead', () => {
    expect(types(filed(), duty)).toContain('dispatch');
    expect(types(filed(), supervisor)).not.toContain('dispatch');
    expect(types(dispatched(), supervisor)).toEqual(expect.arrayContaining(['force_assign', 'reassign']));
    expect(types(dispatched(), duty)).toEqual(expect.arrayContaining(['sign', 'force_assign', 'reassign']));
  });

  it('a town officer gets nothing on another town’s event', () => {
    expect(types(filed(), townOfficer)).toEqual([]);
    expect(types(run(event(XINHUA), [{ type: 'file' }, duty]), townOfficer)).toContain('dispatch');
  });

  it('hides what the command’s own rules refuse: extension decisions without a request, supervision above level 1 for a duty officer, closing before the check', () => {
    const e = inProgress();
    expect(types(e, duty)).not.toContain('grant_extension');
    const requested = run(e, [{ type: 'request_extension', duration: { unit: 'working_days', amount: 2 }, reason: '协调中' }, unitCg]);
    expect(types(requested, duty)).toEqual(expect.arrayContaining(['grant_extension', 'refuse_extension']));

    const supervised = run(e, [{ type: 'supervise', level: 1, reason: '加快' }, duty]);
    expect(types(supervised, duty)).not.toContain('supervise');
    expect(types(supervised, supervisor)).toContain('supervise');

    const handled = run(e, [{ type: 'handle', feedback: '已处理' }, unitCg]);
    expect(types(handled, duty)).toContain('request_check');
    expect(types(handled, duty)).not.toContain('close');
    const checked = run(handled, [{ type: 'request_check' }, duty], [{ type: 'check_pass' }, duty]);
    expect(types(checked, duty)).toContain('close');
    const closed = run(checked, [{ type: 'close' }, duty]);
    expect(types(closed, duty)).toEqual(['evaluate']);
  });

  it('a bounced event offers re-dispatch and forced assignment', () => {
    const bounced = run(dispatched(), [{ type: 'bounce', reasonCode: 'not_our_responsibility' }, unitCg]);
    expect(types(bounced, duty)).toEqual(expect.arrayContaining(['dispatch', 'force_assign']));
    const forced = run(bounced, [{ type: 'force_assign', leadUnitId: 'dept-cg', reason: '属本单位职责' }, duty]);
    expect(forced.forcedAssignment).toBe(true);
  });
});

function record(w: WorkflowEvent, sourceDeadline: string | null = null): EventRecord {
  return {
    id: w.id,
    caseNo: 'HD1',
    title: '道路不洁',
    description: '',
    address: null,
    location: null,
    sourceLocation: null,
    outsideDistrict: false,
    source: sourceDeadline ? 'hotline_12345' : 'grid_patrol',
    externalRef: null,
    urgency: 'normal',
    reporter: null,
    attachments: [],
    sourceDeadline,
    duplicateCandidates: [],
    createdAt: w.reportedAt,
    workflow: w,
  };
}

describe('planDispatch', () => {
  it('suggests the matrix’s unit for the category at the grid (道路不洁 in 花东镇 → the town government)', () => {
    const plan = planDispatch(record(filed()), cfg, duty, at);
    expect(plan.suggestion).toMatchObject({ leadUnitId: `town-${HUADONG}`, source: 'matrix' });
    expect(plan.leadUnitId).toBe(`town-${HUADONG}`);
    // in 新华街 the district entry of 04 applies: 城管局
    expect(planDispatch(record(run(event(XINHUA), [{ type: 'file' }, duty])), cfg, duty, at).leadUnitId).toBe('dept-cg');
  });

  it('previews each clock’s deadline on the working calendar, counted from now', () => {
    const plan = planDispatch(record(filed()), cfg, duty, at);
    const urban = plan.clocks.find((c) => c.kind === 'urban')!;
    expect(urban.policy).toMatchObject({ unit: 'working_hours', amount: 5 });
    expect(urban.deadline.toISOString()).toBe(computeDeadline(urban.policy!, at, cfg.calendar).toISOString());
    // Tue 10:00 + 5 working hours (09–12, 14–18) = Tue 17:00
    expect(urban.deadline.toISOString()).toBe('2026-03-10T09:00:00.000Z');
    expect(plan.clocks.map((c) => c.kind).sort()).toEqual(['internal', 'urban']);
  });

  it('takes the 12345 work order’s own deadline as the hotline clock', () => {
    const plan = planDispatch(record(filed(), '2026-03-12T10:00:00.000Z'), cfg, duty, at);
    const hotline = plan.clocks.find((c) => c.kind === 'hotline')!;
    expect(hotline.origin).toBe('source');
    expect(hotline.deadline.toISOString()).toBe('2026-03-12T10:00:00.000Z');
  });

  it('a re-dispatch starts no clock and warns about the unit that bounced', () => {
    const bounced = run(dispatched(), [{ type: 'bounce', reasonCode: 'not_our_responsibility' }, unitCg]);
    const plan = planDispatch(record(bounced), cfg, duty, at);
    expect(plan.bouncedBy).toBe('dept-cg');
    expect(plan.clocks.every((c) => c.origin === 'running')).toBe(true);
    expect(plan.clocks.length).toBe(bounced.clocks.length);
  });

  it('without configuration: no suggestion, no preview, nothing thrown', () => {
    expect(planDispatch(record(filed()), null, duty, at)).toMatchObject({ suggestion: null, leadUnitId: null, clocks: [] });
  });
});

describe('formatDeadline', () => {
  it("writes a deadline's date, weekday and time in the district's zone", () => {
    const weekdays = ['一', '二', '三', '四', '五', '六', '日'];
    // 16:17 Saturday UTC is 00:17 Sunday 29 November in Huadu
    expect(formatDeadline(new Date('2026-11-28T16:17:00Z'), weekdays)).toBe('11-29 日 00:17');
    expect(formatDeadline(new Date('2026-03-10T06:00:00Z'), weekdays)).toBe('03-10 二 14:00');
    expect(shortTime('2026-11-28T16:17:00Z')).toBe('11-29 00:17');
  });
});
