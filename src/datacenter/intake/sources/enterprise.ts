/**
 * 企业有呼 enterprise calls (`POST /api/v1/intake/enterprise`): a registered enterprise raises a
 * request (business environment, labour, finance, utilities, land…). The enterprise is
 * identified by its unified social credit code, checked here (check character included) so a
 * request is always traceable to a real registration; a contact person and phone are required
 * for the call-back (回访).
 */
import { z } from 'zod';
import {
  attachmentList,
  locationObject,
  optionalText,
  PhoneField,
  requiredText,
  sourceId,
  sourceInstant,
  toAttachment,
  UrgencyField,
  obj,
} from '../fields';
import { defineAdapter, FieldChecks, resolveCategory } from './adapter';
import { usccProblem } from './uscc';

/** 企业诉求, the demo taxonomy's category for enterprise requests nobody classified. */
const ENTERPRISE_CATEGORY = '13';

export const EnterprisePayload = obj({
  /** the enterprise platform's request id */
  ticketId: sourceId(),
  enterprise: obj({
    name: requiredText(200),
    /** 统一社会信用代码 */
    creditCode: z
      .string({ error: (iss) => (iss.input === undefined ? 'required' : 'expected a string') })
      .trim()
      .superRefine((s, ctx) => {
        const problem = usccProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((s) => s.toUpperCase()),
    address: optionalText(500),
  }),
  contact: obj({ name: requiredText(100), phone: PhoneField, position: optionalText(100) }),
  title: requiredText(200),
  content: requiredText(10_000),
  categoryCode: optionalText(32),
  /** the platform's own category label */
  category: optionalText(200),
  address: optionalText(500),
  location: locationObject('wgs84').optional(),
  urgency: UrgencyField.default('normal'),
  submittedAt: sourceInstant(),
  attachments: attachmentList(),
});
export type EnterprisePayload = z.input<typeof EnterprisePayload>;

export const enterpriseAdapter = defineAdapter({
  schema: EnterprisePayload,
  toDraft(p, ctx, source) {
    const checks = new FieldChecks(ctx);
    checks.notInFuture(p.submittedAt, 'submittedAt');
    checks.knownCategory(p.categoryCode, 'categoryCode');
    const fallback = ctx.categories.isKnown(ENTERPRISE_CATEGORY) ? ENTERPRISE_CATEGORY : null;
    return checks.result({
      source: 'enterprise',
      externalRef: { system: 'enterprise', id: p.ticketId },
      title: p.title,
      description: p.content,
      address: p.address ?? p.enterprise.address ?? null,
      location: p.location?.location ?? null,
      sourceLocation: p.location?.sourceLocation ?? null,
      urgency: p.urgency,
      categoryCode: resolveCategory(ctx, source, p.categoryCode, p.category) ?? fallback,
      sourceCategory: p.category ?? null,
      appealType: null,
      reporter: { name: p.contact.name, phone: p.contact.phone, organisation: p.enterprise.name },
      attachments: p.attachments.map(toAttachment),
      sourceDeadline: null,
      sourceClocks: [],
      declaredGridCode: null,
      reportedAt: p.submittedAt,
      sourceFields: { enterpriseName: p.enterprise.name, creditCode: p.enterprise.creditCode, contactPosition: p.contact.position ?? null },
    });
  },
});
