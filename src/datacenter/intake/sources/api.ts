/**
 * The generic JSON API (`POST /api/v1/intake/api`), also the way in for the 来穗 system
 * (`/intake/migrant`), the district government-service system (`/intake/gov_service`) and the
 * district data center: a payload already close to our own vocabulary. The system names itself
 * in `externalRef.system`, and the reference is mandatory so no record is entered twice.
 */
import { z } from 'zod';
import type { EventSource } from '../../../core/events/types';
import type { IntakeSourceName } from '../draft';
import {
  attachmentList,
  locationObject,
  optionalSourceInstant,
  optionalText,
  OptionalPhone,
  requiredText,
  sourceId,
  toAttachment,
  UrgencyField,
  obj,
} from '../fields';
import { defineAdapter, FieldChecks, resolveCategory } from './adapter';

export const ApiPayload = obj({
  externalRef: obj({
    /** the sending system, e.g. `laisui`, `zwfw`, `sjzx` */
    system: sourceId(40),
    id: sourceId(),
  }),
  title: requiredText(200),
  description: optionalText(10_000),
  address: optionalText(500),
  location: locationObject('wgs84').optional(),
  urgency: UrgencyField.default('normal'),
  /** our taxonomy code */
  categoryCode: optionalText(32),
  /** the system's own category label, mapped when categoryCode is absent */
  category: optionalText(200),
  reporter: z
    .object({ name: optionalText(100), phone: OptionalPhone, organisation: optionalText(200) })
    .optional(),
  attachments: attachmentList(),
  /** the system's own deadline for the case, if it sets one */
  deadline: optionalSourceInstant(),
  reportedAt: optionalSourceInstant(),
});
export type ApiPayload = z.input<typeof ApiPayload>;

const SOURCE_OF: Partial<Record<IntakeSourceName, EventSource>> = { api: 'api', migrant: 'migrant', gov_service: 'gov_service' };

export const apiAdapter = defineAdapter({
  schema: ApiPayload,
  toDraft(p, ctx, source) {
    const checks = new FieldChecks(ctx);
    const reportedAt = p.reportedAt ?? ctx.now.toISOString();
    checks.notInFuture(reportedAt, 'reportedAt');
    checks.knownCategory(p.categoryCode, 'categoryCode');
    const r = p.reporter;
    return checks.result({
      source: SOURCE_OF[source] ?? 'api',
      externalRef: { system: p.externalRef.system, id: p.externalRef.id },
      title: p.title,
      description: p.description ?? '',
      address: p.address ?? null,
      location: p.location?.location ?? null,
      sourceLocation: p.location?.sourceLocation ?? null,
      urgency: p.urgency,
      categoryCode: resolveCategory(ctx, source, p.categoryCode, p.category),
      sourceCategory: p.category ?? null,
      appealType: null,
      reporter: r ? { name: r.name ?? null, phone: r.phone ?? null, organisation: r.organisation ?? null } : null,
      attachments: p.attachments.map(toAttachment),
      sourceDeadline: p.deadline ?? null,
      // shown to the officer; which clock it binds is the dispatcher's call (ClockKind has no generic kind)
      sourceClocks: [],
      declaredGridCode: null,
      reportedAt,
      sourceFields: {},
    });
  },
});
