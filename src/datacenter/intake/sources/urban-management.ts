/**
 * 数字城管 digital urban management cases (`POST /api/v1/intake/urban_management`), found by
 * city supervisors (监督员) on patrol or raised by AI camera alarms (AI 视频识别告警). The case
 * number (案卷号) is the external reference; the urban-management minor class (小类) gives the
 * category and, through the taxonomy, the urban clock (5 working hours for a dirty road up to 15
 * working days for illegal construction) unless the case carries its own deadline. Urban
 * management systems survey in CGCS2000, the default here.
 */
import { z } from 'zod';
import type { ClockSpec } from '../../../core/workflow/commands';
import {
  attachmentList,
  EVEN_WITH_ERRORS,
  isString,
  locationObject,
  optionalSourceInstant,
  optionalText,
  requiredText,
  sourceId,
  sourceInstant,
  titleFrom,
  toAttachment,
  UrgencyField,
  obj,
} from '../fields';
import { defineAdapter, FieldChecks, resolveCategory } from './adapter';

const MinorClass = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  obj({
    /** the system's class code, when it sends one */
    code: optionalText(32),
    name: requiredText(100),
  }),
);

export const UrbanManagementPayload = z
  .object({
    /** 案卷号 */
    caseNo: sourceId(),
    /** 事件 event or 部件 component (street furniture) */
    caseType: z.enum(['event', 'component'], { error: 'expected event or component' }).default('event'),
    /** 大类 */
    majorClass: optionalText(100),
    /** 小类: a name, or `{ code, name }` */
    minorClass: MinorClass,
    description: requiredText(10_000),
    address: optionalText(500),
    location: locationObject('cgcs2000').optional(),
    /** raised by an AI camera rather than a person */
    aiAlarm: z.boolean().default(false),
    cameraId: sourceId().optional(),
    /** the model's confidence for an AI alarm, 0–1 */
    confidence: z.number().min(0, 'between 0 and 1').max(1, 'between 0 and 1').optional(),
    /** 监督员 id of the supervisor who found it */
    supervisorId: sourceId().optional(),
    urgency: UrgencyField.default('normal'),
    categoryCode: optionalText(32),
    /** 处置时限 when the urban-management system fixes one */
    deadline: optionalSourceInstant(),
    reportedAt: sourceInstant(),
    attachments: attachmentList(),
  })
  .superRefine((v, ctx) => {
    if (v.aiAlarm === true && v.cameraId === undefined) ctx.addIssue({ code: 'custom', path: ['cameraId'], message: 'required for an AI camera alarm' });
    if (v.aiAlarm === false && v.confidence !== undefined) ctx.addIssue({ code: 'custom', path: ['confidence'], message: 'only AI camera alarms carry a confidence' });
    if (isString(v.deadline) && isString(v.reportedAt) && Date.parse(v.deadline) <= Date.parse(v.reportedAt)) {
      ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'the deadline must be after reportedAt' });
    }
  }, EVEN_WITH_ERRORS);
export type UrbanManagementPayload = z.input<typeof UrbanManagementPayload>;

export const urbanManagementAdapter = defineAdapter({
  schema: UrbanManagementPayload,
  toDraft(p, ctx, source) {
    const checks = new FieldChecks(ctx);
    checks.notInFuture(p.reportedAt, 'reportedAt');
    checks.knownCategory(p.categoryCode, 'categoryCode');
    const label = p.majorClass ? `${p.majorClass}/${p.minorClass.name}` : p.minorClass.name;
    const clocks: ClockSpec[] = p.deadline ? [{ id: 'urban', kind: 'urban', deadline: p.deadline, warnAt: 0.8 }] : [];
    const sourceFields: Record<string, string | number | boolean | null> = {
      caseNo: p.caseNo,
      caseType: p.caseType,
      minorClass: p.minorClass.name,
      minorClassCode: p.minorClass.code ?? null,
      aiAlarm: p.aiAlarm,
    };
    if (p.cameraId) sourceFields.cameraId = p.cameraId;
    if (p.confidence !== undefined) sourceFields.confidence = p.confidence;
    if (p.supervisorId) sourceFields.supervisorId = p.supervisorId;
    return checks.result({
      source: 'urban_management',
      externalRef: { system: 'szcg', id: p.caseNo },
      title: `${p.aiAlarm ? 'AI告警：' : ''}${p.minorClass.name}${p.address ? `（${titleFrom(p.address, 30)}）` : ''}`,
      description: p.description,
      address: p.address ?? null,
      location: p.location?.location ?? null,
      sourceLocation: p.location?.sourceLocation ?? null,
      urgency: p.urgency,
      categoryCode: resolveCategory(ctx, source, p.categoryCode, label),
      sourceCategory: label,
      appealType: null,
      reporter: null,
      attachments: p.attachments.map(toAttachment),
      sourceDeadline: p.deadline ?? null,
      sourceClocks: clocks,
      declaredGridCode: null,
      reportedAt: p.reportedAt,
      sourceFields,
    });
  },
});
