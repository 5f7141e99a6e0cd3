/**
 * Grid-worker patrol reports (网格员巡查上报) from the city grid service system's mobile app
 * (`POST /api/v1/intake/grid_patrol`): the worker, the grid they patrol, the base item (基础事项,
 * one of the 109) the problem falls under, photos taken on site and the device's GPS position.
 * The base item gives the category; the grid code places the report when the phone had no fix.
 */
import { z } from 'zod';
import {
  AttachmentInput,
  locationObject,
  optionalText,
  OptionalPhone,
  requiredText,
  sourceId,
  sourceInstant,
  titleFrom,
  toAttachment,
  UrgencyField,
  obj,
} from '../fields';
import { defineAdapter, FieldChecks } from './adapter';

export const GridPatrolPayload = obj({
  /** the app's report id */
  reportId: sourceId(),
  /** 网格员编号 */
  workerId: sourceId(),
  workerName: optionalText(100),
  workerPhone: OptionalPhone,
  /** 15-digit base grid code the worker patrols */
  gridCode: z
    .string({ error: (iss) => (iss.input === undefined ? 'required' : 'expected a string') })
    .regex(/^\d{15}$/, 'a base grid code has 15 digits'),
  /** 基础事项 code, 001–109 (also accepted as a number) */
  baseItem: z.preprocess(
    (v) => (typeof v === 'number' && Number.isInteger(v) ? String(v).padStart(3, '0') : v),
    z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'expected a base item code') }).regex(/^\d{3}$/, 'a base item code has 3 digits (001–109)'),
  ),
  title: optionalText(200),
  description: requiredText(10_000),
  address: optionalText(500),
  /** the device's position; phones report GPS (WGS84) unless the app says otherwise */
  location: locationObject('wgs84').optional(),
  /** on-site photos (现场照片): at least one */
  photos: z.array(AttachmentInput).min(1, 'at least one on-site photo').max(20, 'at most 20 photos'),
  /** 自行处置: the worker solved it on the spot and reports for the record */
  selfHandled: z.boolean().default(false),
  urgency: UrgencyField.default('normal'),
  categoryCode: optionalText(32),
  reportedAt: sourceInstant(),
});
export type GridPatrolPayload = z.input<typeof GridPatrolPayload>;

export const gridPatrolAdapter = defineAdapter({
  schema: GridPatrolPayload,
  toDraft(p, ctx) {
    const checks = new FieldChecks(ctx);
    checks.notInFuture(p.reportedAt, 'reportedAt');
    checks.knownCategory(p.categoryCode, 'categoryCode');
    const item = ctx.baseItems.get(p.baseItem);
    if (!item) checks.errors.push({ field: 'baseItem', message: `unknown base item ${p.baseItem} (001–${String(ctx.baseItems.size).padStart(3, '0')})` });
    return checks.result({
      source: 'grid_patrol',
      externalRef: { system: 'grid-app', id: p.reportId },
      title: p.title ?? (item ? `${item.name}：${titleFrom(p.description, 30)}` : titleFrom(p.description)),
      description: p.description,
      address: p.address ?? null,
      location: p.location?.location ?? null,
      sourceLocation: p.location?.sourceLocation ?? null,
      urgency: p.urgency,
      categoryCode: p.categoryCode ?? (item && ctx.categories.isKnown(item.categoryCode) ? item.categoryCode : null),
      sourceCategory: item ? `${item.code} ${item.name}` : p.baseItem,
      appealType: null,
      reporter: { name: p.workerName ?? null, phone: p.workerPhone ?? null, organisation: null },
      attachments: p.photos.map(toAttachment),
      sourceDeadline: null,
      sourceClocks: [],
      declaredGridCode: p.gridCode,
      reportedAt: p.reportedAt,
      sourceFields: { workerId: p.workerId, gridCode: p.gridCode, baseItem: p.baseItem, selfHandled: p.selfHandled },
    });
  },
});
