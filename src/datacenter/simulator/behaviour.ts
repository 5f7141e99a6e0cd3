/**
 * How people and units treat an event, as a policy over its workflow state: given the event as it
 * stands, who does what next, and after how long. The live simulator waits for that moment and
 * sends the command through the command endpoint's own path; the history generator applies it at
 * once with core `decide`. Because the policy reads the state, it also picks up events it did
 * not create (after a restart) and copes with what the SLA scheduler did meanwhile.
 *
 * Who acts (roles of DOMAIN.md):
 * - the intake agent (受理员) verifies public and hotline reports, files or rejects them, and
 *   makes the call-back (回访) days after closing;
 * - the duty officer (值班员) dispatches to the unit `suggestLeadUnit` offers (统一派单), re-
 *   dispatches or forces a bounced event, grants or refuses extensions, asks for the on-site check,
 *   closes, and puts long-overdue events on the 四呼四应 ladder;
 * - the unit (承办单位) signs, starts, feeds back — in office hours unless the event is urgent —
 *   and sometimes bounces (退单, with a reason code), asks for an extension before its deadline,
 *   or overruns it (the SLA scheduler then raises supervision on its own);
 * - the supervisor (督查员) records the grid worker's on-site check (核查), which sometimes fails.
 *
 * Each event's traits (will it bounce, overrun, fail its check…) are drawn once from its own
 * random stream, so its story does not depend on what happens to other events.
 */
import { isWorkingTime, localDateOf, nthWorkingDayAfter, workingIntervals, type WorkingCalendar } from '../../core/calendar/calendar';
import type { EventRecord } from '../../core/events/types';
import { clockState } from '../../core/sla/clock';
import { suggestLeadUnit } from '../../core/taxonomy/responsibility';
import type { BounceReasonCode, CommandInput } from '../../core/workflow/commands';
import type { DomainConfig } from '../../core/workflow/domain-config';
import type { SimRandom } from './random';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Who issues a command (actors.ts turns it into an Actor). */
export type SimRole = 'duty' | 'agent' | 'supervisor' | 'unit';

export interface PlannedAction {
  at: Date;
  role: SimRole;
  /** the acting unit, for role `unit` */
  unitId?: string;
  command: CommandInput;
}

/** What kind of story an event has, drawn once. */
export interface EventTraits {
  /** the category the reporter meant (used when the source's label did not map) */
  intendedCategory: string | null;
  verifyFirst: boolean;
  reject: boolean;
  merge: boolean;
  bounce: boolean;
  bounceReason: BounceReasonCode;
  forceAfterBounce: boolean;
  overrun: boolean;
  extension: boolean;
  extensionGranted: boolean;
  park: boolean;
  checkFail: boolean;
  escalate: boolean;
  evaluate: boolean;
  satisfaction: 1 | 2 | 3 | 4 | 5;
  /** how quickly this unit works: a factor on its delays */
  pace: number;
  /** steps taken so far that must not repeat */
  done: Set<'extension' | 'park' | 'escalate' | 'bounce'>;
}

/** Rates of the side paths (about what a district's monthly report shows). */
export const BEHAVIOUR_RATES = {
  verifyFirst: 0.55,
  reject: 0.05,
  rejectAiAlarm: 0.3,
  rejectPublic: 0.1,
  merge: 0.8,
  bounce: 0.06,
  forceAfterBounce: 0.35,
  overrun: 0.07,
  extension: 0.05,
  extensionGranted: 0.8,
  park: 0.01,
  checkFail: 0.07,
  escalate: 0.35,
  evaluate: 0.88,
} as const;

export function drawTraits(rng: SimRandom, record: Pick<EventRecord, 'source' | 'outsideDistrict'> & { aiAlarm?: boolean }, intendedCategory: string | null): EventTraits {
  const r = BEHAVIOUR_RATES;
  const rejectRate = record.aiAlarm ? r.rejectAiAlarm : record.source === 'open311' || record.source === 'hotline_12345' ? r.rejectPublic : r.reject;
  return {
    intendedCategory,
    verifyFirst: rng.chance(r.verifyFirst),
    reject: record.outsideDistrict || rng.chance(rejectRate),
    merge: rng.chance(r.merge),
    bounce: rng.chance(r.bounce),
    bounceReason: rng.weighted<BounceReasonCode>([
      ['not_our_responsibility', 50],
      ['wrong_location', 20],
      ['insufficient_information', 15],
      ['duplicate', 5],
      ['beyond_capacity', 5],
      ['other', 5],
    ]),
    forceAfterBounce: rng.chance(r.forceAfterBounce),
    overrun: rng.chance(r.overrun),
    extension: rng.chance(r.extension),
    extensionGranted: rng.chance(r.extensionGranted),
    park: rng.chance(r.park),
    checkFail: rng.chance(r.checkFail),
    escalate: rng.chance(r.escalate),
    evaluate: rng.chance(r.evaluate),
    satisfaction: rng.weighted<1 | 2 | 3 | 4 | 5>([
      [5, 55],
      [4, 25],
      [3, 12],
      [2, 5],
      [1, 3],
    ]),
    pace: rng.logNormal(1, 0.35),
    done: new Set(),
  };
}

/** The next moment inside office hours at or after `at` (a few minutes in, as people start). */
export function officeTime(at: Date, cal: WorkingCalendar, rng: SimRandom): Date {
  if (isWorkingTime(cal, at)) return at;
  let date = localDateOf(cal, at);
  for (let i = 0; i < 30; i++) {
    for (const iv of workingIntervals(cal, date)) {
      if (iv.end.getTime() > at.getTime()) return new Date(Math.max(iv.start.getTime(), at.getTime()) + rng.int(1, 40) * MIN);
    }
    date = nthWorkingDayAfter(cal, date, 1);
  }
  return at;
}

const BOUNCE_TEXT: Record<BounceReasonCode, string> = {
  not_our_responsibility: '经核实不属于本单位职责范围',
  wrong_location: '现场核实地址不准确，未发现所述问题',
  insufficient_information: '工单信息不全，无法处置',
  duplicate: '与已派工单重复',
  beyond_capacity: '超出本单位处置能力，需协调',
  other: '需上级部门协调处理',
};

/** The unit the desk sends an event of this category at this place to. */
export function leadUnitFor(record: EventRecord, code: string, ctx: DomainConfig, knownUnits: ReadonlySet<string> | null): { lead: string; assisting: string[] } | null {
  const area = record.workflow.area;
  const where = area.gridCode ?? area.villageCode ?? area.townCode ?? area.districtCode;
  const s = suggestLeadUnit(ctx, code, where);
  const ok = (u: string) => knownUnits === null || knownUnits.has(u);
  if (s && ok(s.leadUnitId)) return { lead: s.leadUnitId, assisting: s.assistingUnitIds.filter((u) => ok(u) && u !== s.leadUnitId).slice(0, 2) };
  // a territorial rule without a town (no position): the district's city management office takes it
  for (const fallback of ['dept-cg', area.townCode ? `town-${area.townCode}` : null]) if (fallback && ok(fallback)) return { lead: fallback, assisting: [] };
  return null;
}

/** An alternative unit after a bounce: the suggestion's assistant, else the town, else city management. */
function otherUnit(record: EventRecord, code: string, ctx: DomainConfig, knownUnits: ReadonlySet<string> | null): string | null {
  const wf = record.workflow;
  const s = leadUnitFor(record, code, ctx, knownUnits);
  const candidates = [...(s?.assisting ?? []), wf.area.townCode ? `town-${wf.area.townCode}` : null, 'dept-cg', s?.lead ?? null];
  for (const u of candidates) if (u && u !== wf.leadUnitId && (knownUnits === null || knownUnits.has(u))) return u;
  return null;
}

/** The earliest deadline among the clocks still counting, and when that clock started. */
function runningDeadline(record: EventRecord, now: Date, cal: WorkingCalendar): { deadline: Date; startedAt: Date } | null {
  let best: { deadline: Date; startedAt: Date } | null = null;
  for (const c of record.workflow.clocks) {
    if (c.stoppedAt !== null) continue;
    const s = clockState(c, now, cal);
    if (!best || s.deadline.getTime() < best.deadline.getTime()) best = { deadline: s.deadline, startedAt: new Date(c.startedAt) };
  }
  return best;
}

export interface BehaviourContext {
  ctx: DomainConfig;
  /** units that exist (null: do not check) */
  units: ReadonlySet<string> | null;
}

/**
 * The next thing that happens to the event, or null when nobody will act (finished, or waiting
 * on a call-back that will not come). `now` is when the event reached its current state.
 */
export function nextAction(record: EventRecord, traits: EventTraits, rng: SimRandom, now: Date, b: BehaviourContext): PlannedAction | null {
  const wf = record.workflow;
  const cal = b.ctx.calendar;
  const urgent = record.urgency !== 'normal';
  const t = now.getTime();
  const after = (ms: number) => new Date(t + Math.max(ms, 30_000));
  const desk = (median: number) => after(rng.logNormal(urgent ? median / 4 : median, 0.6));
  const unit = (median: number) => {
    const at = after(rng.logNormal((urgent ? median / 4 : median) * traits.pace, 0.7));
    return urgent ? at : officeTime(at, cal, rng);
  };
  const category = wf.categoryCode ?? traits.intendedCategory;
  const lead = wf.leadUnitId;

  switch (wf.status) {
    case 'reported':
    case 'verifying': {
      if (wf.status === 'reported' && traits.merge && record.duplicateCandidates.length > 0) {
        return { at: desk(15 * MIN), role: 'duty', command: { type: 'merge', intoEventId: record.duplicateCandidates[0]!, reason: '与已受理事件重复，合并处理' } };
      }
      if (wf.status === 'reported' && traits.verifyFirst) return { at: desk(8 * MIN), role: 'agent', command: { type: 'verify' } };
      if (traits.reject || !category) {
        const reason = record.outsideDistrict ? '事发地点不在本区范围，不予立案' : rng.pick(['经核实情况不属实', '不属于受理范围', '重复反映，已答复']);
        return { at: desk(wf.status === 'verifying' ? 40 * MIN : 10 * MIN), role: 'agent', command: { type: 'reject', reason } };
      }
      return { at: desk(wf.status === 'verifying' ? 40 * MIN : 10 * MIN), role: 'agent', command: { type: 'file', ...(wf.categoryCode ? {} : { categoryCode: category }) } };
    }
    case 'filed': {
      if (!category) return { at: desk(20 * MIN), role: 'duty', command: { type: 'cancel', reason: '无法确定事项类别，撤销' } };
      const target = leadUnitFor(record, category, b.ctx, b.units);
      if (!target) return { at: desk(20 * MIN), role: 'duty', command: { type: 'cancel', reason: '无对应责任单位，撤销' } };
      return { at: desk(12 * MIN), role: 'duty', command: { type: 'dispatch', leadUnitId: target.lead, assistingUnitIds: target.assisting } };
    }
    case 'bounced': {
      if (traits.forceAfterBounce && lead) return { at: desk(30 * MIN), role: 'duty', command: { type: 'force_assign', leadUnitId: lead, reason: '经核实属于该单位职责，强制派单' } };
      const other = category ? otherUnit(record, category, b.ctx, b.units) : null;
      if (!other) return lead ? { at: desk(30 * MIN), role: 'duty', command: { type: 'force_assign', leadUnitId: lead, reason: '无其他责任单位，强制派单' } } : null;
      return { at: desk(30 * MIN), role: 'duty', command: { type: 'dispatch', leadUnitId: other, assistingUnitIds: [] } };
    }
    case 'dispatched': {
      if (!lead) return null;
      if (traits.bounce && !traits.done.has('bounce') && !wf.forcedAssignment && wf.bounceCount === 0) {
        traits.done.add('bounce');
        const code = traits.bounceReason;
        return { at: unit(50 * MIN), role: 'unit', unitId: lead, command: { type: 'bounce', reasonCode: code, reason: BOUNCE_TEXT[code] } };
      }
      return { at: unit(35 * MIN), role: 'unit', unitId: lead, command: { type: 'sign' } };
    }
    case 'signed':
    case 'in_progress':
    case 'rework': {
      if (!lead) return null;
      const pending = wf.pendingExtension;
      if (pending) {
        return traits.extensionGranted
          ? { at: desk(90 * MIN), role: 'duty', command: { type: 'grant_extension', reason: '同意延期' } }
          : { at: desk(90 * MIN), role: 'duty', command: { type: 'refuse_extension', reason: '理由不充分，请按期办结' } };
      }
      if (wf.supervision && !wf.escalation && traits.escalate && !traits.done.has('escalate')) {
        traits.done.add('escalate');
        return { at: desk(60 * MIN), role: 'duty', command: { type: 'escalate', reason: '超期未办结，启动四呼四应' } };
      }
      // assisting units sign and feed back their part while the lead works
      const assisting = wf.unitProgress.find((p) => p.role === 'assisting' && (p.signedAt === null || (wf.status === 'in_progress' && p.handledAt === null)));
      if (assisting && rng.chance(0.9)) {
        return assisting.signedAt === null
          ? { at: unit(60 * MIN), role: 'unit', unitId: assisting.unitId, command: { type: 'sign' } }
          : { at: unit(4 * HOUR), role: 'unit', unitId: assisting.unitId, command: { type: 'handle', feedback: '已配合完成相关工作' } };
      }
      if (wf.status !== 'in_progress') return { at: unit(wf.status === 'rework' ? 2 * HOUR : 45 * MIN), role: 'unit', unitId: lead, command: { type: 'start' } };
      const clock = runningDeadline(record, now, cal);
      if (clock && traits.extension && !traits.done.has('extension') && !traits.overrun) {
        const budget = clock.deadline.getTime() - clock.startedAt.getTime();
        const ask = clock.startedAt.getTime() + budget * (0.5 + 0.2 * rng.next());
        if (ask > t + MIN && ask < clock.deadline.getTime()) {
          traits.done.add('extension');
          return { at: new Date(ask), role: 'unit', unitId: lead, command: { type: 'request_extension', duration: { unit: 'working_days', amount: rng.pick([2, 3, 5]) }, reason: '需协调多个部门，申请延期' } };
        }
      }
      if (traits.park && !traits.done.has('park')) {
        traits.done.add('park');
        return { at: desk(4 * HOUR), role: 'duty', command: { type: 'park', reason: '需协调专项资金，暂挂账' } };
      }
      let at: Date;
      if (wf.reworkCount > 0) at = unit(6 * HOUR);
      else if (clock) {
        const deadline = clock.deadline.getTime();
        const budget = Math.max(deadline - clock.startedAt.getTime(), HOUR);
        at = traits.overrun
          ? new Date(Math.max(deadline, t) + Math.max(30 * MIN, budget * (0.1 + 0.9 * rng.next())))
          : new Date(t + Math.max(20 * MIN, (deadline - t) * (0.15 + 0.65 * rng.next()) * Math.min(traits.pace, 1.2)));
        if (!urgent && !traits.overrun) {
          const shifted = officeTime(at, cal, rng);
          at = shifted.getTime() < deadline ? shifted : at;
        }
      } else at = unit(DAY);
      return { at, role: 'unit', unitId: lead, command: { type: 'handle', feedback: rng.pick(['已到现场处置完毕', '已清理完毕，现场恢复正常', '已约谈当事人并整改到位', '已维修完成', '已答复诉求人并解决']) } };
    }
    case 'parked':
      return { at: after(rng.int(3, 10) * DAY), role: 'duty', command: { type: 'unpark', reason: '资金已落实，恢复处置' } };
    case 'handled':
      return wf.requiresCheck
        ? { at: desk(30 * MIN), role: 'duty', command: { type: 'request_check' } }
        : { at: desk(60 * MIN), role: 'duty', command: { type: 'close' } };
    case 'checking': {
      const at = officeTime(after(rng.logNormal(3 * HOUR, 0.6)), cal, rng);
      return traits.checkFail && wf.reworkCount === 0
        ? { at, role: 'supervisor', command: { type: 'check_fail', reason: '网格员现场核查，问题未彻底解决' } }
        : { at, role: 'supervisor', command: { type: 'check_pass', reason: '网格员现场核查通过' } };
    }
    case 'checked':
      return { at: desk(40 * MIN), role: 'duty', command: { type: 'close' } };
    case 'closed':
      if (!traits.evaluate) return null;
      return { at: officeTime(after(DAY * (1 + 2 * rng.next())), cal, rng), role: 'agent', command: { type: 'evaluate', satisfaction: traits.satisfaction, callbackNote: '电话回访' } };
    default:
      return null;
  }
}
