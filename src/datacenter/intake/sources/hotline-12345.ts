/**
 * 12345 government hotline work orders (工单) as the city platform pushes them to the district
 * (`POST /api/v1/intake/hotline_12345`). The work-order number is the external reference. The
 * appeal type (诉求类型) sets the hotline clock: the order's own deadline (办结时限) when it carries
 * one, else the Guangdong default for the type (consultation 2, help/suggestion 10,
 * complaint/report 15 working days; urgent 2 hours), counted from dispatch like every clock.
 * Positions from the hotline platform are geocoded on AMap, so they default to GCJ-02.
 */
import { z } from 'zod';
import type { ClockSpec } from '../../../core/workflow/commands';
import { AppealType } from '../draft';
import {
  attachmentList,
  checkPosition,
  EVEN_WITH_ERRORS,
  isFiniteNumber,
  isString,
  CoordSystemField,
  numberish,
  optionalSourceInstant,
  optionalText,
  OptionalPhone,
  requiredText,
  sourceId,
  sourceInstant,
  titleFrom,
  toAttachment,
  obj,
} from '../fields';
import { toWgs84 } from '../coords';
import { defineAdapter, FieldChecks, resolveCategory } from './adapter';

/** 诉求类型 as the platform spells them (Chinese labels or our codes). */
const APPEAL_LABELS: Record<string, AppealType> = {
  咨询: 'consultation',
  求助: 'help',
  建议: 'suggestion',
  投诉: 'complaint',
  举报: 'report',
  紧急: 'urgent',
  紧急求助: 'urgent',
  ...Object.fromEntries(AppealType.options.map((o) => [o, o])),
};

const AppealTypeField = z
  .string({ error: (iss) => (iss.input === undefined ? 'required' : 'expected an appeal type') })
  .transform((s, ctx): AppealType => {
    const t = APPEAL_LABELS[s.trim()] ?? APPEAL_LABELS[s.trim().toLowerCase()];
    if (t) return t;
    ctx.addIssue({ code: 'custom', message: `unknown appeal type ${JSON.stringify(s)}; expected 咨询/求助/建议/投诉/举报/紧急 or ${AppealType.options.join('/')}` });
    return z.NEVER;
  });

export const Hotline12345Payload = z
  .object({
    /** 工单编号 */
    orderNo: sourceId(),
    /** 诉求类型 */
    appealType: AppealTypeField,
    /** 紧急工单 */
    isUrgent: z.boolean().default(false),
    title: optionalText(200),
    /** 诉求内容 */
    content: requiredText(10_000),
    /** the platform's business classification, e.g. 城市管理/市容环境/占道经营 */
    classification: optionalText(200),
    categoryCode: optionalText(32),
    address: optionalText(500),
    longitude: numberish().optional(),
    latitude: numberish().optional(),
    coordinateSystem: CoordSystemField.default('gcj02'),
    /** 来电人 */
    caller: obj({ name: optionalText(100), phone: OptionalPhone }).optional(),
    /** 办结时限 the order's own deadline */
    deadline: optionalSourceInstant(),
    /** 受理时间 when the platform accepted the call */
    acceptedAt: sourceInstant(),
    /** 派单单位 the unit that sent the order to the district */
    dispatchingUnit: optionalText(200),
    attachments: attachmentList(),
  })
  .superRefine((v, ctx) => {
    if ((v.longitude === undefined) !== (v.latitude === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.longitude === undefined ? 'longitude' : 'latitude'], message: 'longitude and latitude come together' });
    } else if (isFiniteNumber(v.longitude) && isFiniteNumber(v.latitude)) {
      checkPosition(v.longitude, v.latitude, ctx, ['longitude'], ['latitude']);
    }
    if (isString(v.deadline) && isString(v.acceptedAt) && Date.parse(v.deadline) <= Date.parse(v.acceptedAt)) {
      ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'the deadline must be after acceptedAt' });
    }
  }, EVEN_WITH_ERRORS);
export type Hotline12345Payload = z.input<typeof Hotline12345Payload>;

export const hotline12345Adapter = defineAdapter({
  schema: Hotline12345Payload,
  toDraft(p, ctx, source) {
    const checks = new FieldChecks(ctx);
    checks.notInFuture(p.acceptedAt, 'acceptedAt');
    checks.knownCategory(p.categoryCode, 'categoryCode');
    const appealType: AppealType = p.isUrgent ? 'urgent' : p.appealType;
    const clock: ClockSpec = p.deadline
      ? { id: 'hotline', kind: 'hotline', deadline: p.deadline, warnAt: 0.8 }
      : { id: 'hotline', policy: ctx.hotlinePolicies[appealType] };
    const converted = p.longitude !== undefined && p.latitude !== undefined ? toWgs84(p.longitude, p.latitude, p.coordinateSystem) : null;
    const caller = p.caller;
    const sourceFields: Record<string, string | boolean | null> = { orderNo: p.orderNo, appealType: p.appealType };
    if (p.dispatchingUnit) sourceFields.dispatchingUnit = p.dispatchingUnit;
    return checks.result({
      source: 'hotline_12345',
      externalRef: { system: '12345', id: p.orderNo },
      title: p.title ?? titleFrom(p.content),
      description: p.content,
      address: p.address ?? null,
      location: converted?.location ?? null,
      sourceLocation: converted?.sourceLocation ?? null,
      urgency: appealType === 'urgent' ? 'urgent' : 'normal',
      categoryCode: resolveCategory(ctx, source, p.categoryCode, p.classification),
      sourceCategory: p.classification ?? null,
      appealType,
      reporter: caller && (caller.name || caller.phone) ? { name: caller.name ?? null, phone: caller.phone ?? null, organisation: null } : null,
      attachments: p.attachments.map(toAttachment),
      sourceDeadline: p.deadline ?? null,
      sourceClocks: [clock],
      declaredGridCode: null,
      reportedAt: p.acceptedAt,
      sourceFields,
    });
  },
});
