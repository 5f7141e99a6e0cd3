/**
 * What the dispatch dialog proposes before the officer touches anything: the
 * lead and assisting units from the responsibility matrix (`suggestLeadUnit`
 * for the event's category at its grid), and a preview of each SLA clock the
 * first dispatch starts — the source's own deadline (12345 work orders) and the
 * category's policies — computed with the working calendar exactly as
 * `decide` will (counted from dispatch, i.e. from now). A re-dispatch after a
 * bounce starts no clock: the running ones keep counting from the first dispatch.
 *
 * The command sent carries no clocks: the data center completes them the same
 * way (and knows the 12345 appeal type, which the replica does not).
 */
import type { EventRecord } from '../../../core/events/types';
import { clockState, type ClockState } from '../../../core/sla/clock';
import type { ClockKind, SlaPolicy } from '../../../core/sla/policy';
import { suggestLeadUnit, type LeadUnitSuggestion } from '../../../core/taxonomy/responsibility';
import { slaPoliciesFor } from '../../../core/taxonomy/tree';
import type { ClockSpec } from '../../../core/workflow/commands';
import { decide } from '../../../core/workflow/decide';
import type { DomainConfig } from '../../../core/workflow/domain-config';
import type { Actor } from '../../../core/workflow/roles';

export interface ClockPreview {
  id: string;
  kind: ClockKind;
  /** from the source's own deadline, a category policy, or already running (re-dispatch) */
  origin: 'source' | 'policy' | 'running';
  policy: SlaPolicy | null;
  deadline: Date;
  warnFrom: Date;
  /** for a running clock: where it stands now */
  status: ClockState['status'];
}

export interface DispatchPlan {
  suggestion: LeadUnitSuggestion | null;
  leadUnitId: string | null;
  assistingUnitIds: string[];
  /** the unit that bounced it last, so the dialog can warn before sending it back there */
  bouncedBy: string | null;
  clocks: ClockPreview[];
}

/** The most specific area the event is known at: grid, else village, town, district. */
export function placeCode(e: EventRecord): string {
  const a = e.workflow.area;
  return a.gridCode ?? a.villageCode ?? a.townCode ?? a.districtCode;
}

/** The clock specs a first dispatch would start (source deadline first, then the category's policies). */
export function defaultClockSpecs(e: EventRecord, cfg: DomainConfig): ClockSpec[] {
  const specs: ClockSpec[] = [];
  if (e.sourceDeadline && Date.parse(e.sourceDeadline) > 0) specs.push({ id: 'hotline', kind: 'hotline', deadline: e.sourceDeadline, warnAt: 0.8 });
  const code = e.workflow.categoryCode;
  if (code) for (const policy of slaPoliciesFor(cfg.taxonomy, code)) if (!specs.some((s) => (s.id ?? '') === policy.clock)) specs.push({ policy });
  return specs;
}

const toPreview = (s: ClockState, id: string, kind: ClockKind, origin: ClockPreview['origin'], policy: SlaPolicy | null): ClockPreview => ({
  id,
  kind,
  origin,
  policy,
  deadline: s.deadline,
  warnFrom: s.warnFrom,
  status: s.status,
});

export function planDispatch(e: EventRecord, cfg: DomainConfig | null, actor: Actor | null, now: Date): DispatchPlan {
  const w = e.workflow;
  const suggestion = cfg && w.categoryCode ? suggestLeadUnit(cfg, w.categoryCode, placeCode(e)) : null;
  const plan: DispatchPlan = {
    suggestion,
    leadUnitId: suggestion?.leadUnitId ?? null,
    assistingUnitIds: suggestion?.assistingUnitIds.filter((u) => u !== suggestion.leadUnitId) ?? [],
    bouncedBy: w.status === 'bounced' ? (w.lastBounce?.unitId ?? null) : null,
    clocks: [],
  };
  if (!cfg) return plan;
  if (w.firstDispatchedAt !== null) {
    plan.clocks = w.clocks
      .filter((c) => c.stoppedAt === null)
      .map((c) => toPreview(clockState(c, now, cfg.calendar), c.id, c.kind, 'running', null));
    return plan;
  }
  const specs = defaultClockSpecs(e, cfg);
  // run the real rule on a copy so the preview is what `decide` will start
  const probeActor: Actor = actor ?? { id: 'preview', name: 'preview', role: 'admin', organisationId: 'preview', scope: { level: 'district', code: w.area.districtCode } };
  const lead = plan.leadUnitId ?? 'preview-unit';
  const d = decide({ ...w, status: 'filed' }, { type: 'dispatch', leadUnitId: lead, assistingUnitIds: [], clocks: specs }, { ...probeActor, role: 'admin', scope: { level: 'district', code: w.area.districtCode } }, now, cfg);
  if (!d.ok) return plan;
  plan.clocks = d.next.clocks.map((c) => {
    const spec = specs.find((s) => (s.id ?? ('policy' in s ? s.policy.clock : s.kind)) === c.id);
    const policy = spec && 'policy' in spec ? spec.policy : null;
    return toPreview(clockState(c, now, cfg.calendar), c.id, c.kind, policy ? 'policy' : 'source', policy);
  });
  return plan;
}
