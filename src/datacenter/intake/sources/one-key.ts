/**
 * 一键呼叫 one-key calls (`POST /api/v1/intake/one_key`): a resident, shop or school presses the
 * button of a call box or the app and the command center must answer at once. A call is always
 * urgent and is useless without a position, so `location` is required; the caller's phone is
 * required so the duty officer can call back.
 */
import { z } from 'zod';
import {
  attachmentList,
  locationObject,
  optionalText,
  PhoneField,
  sourceId,
  sourceInstant,
  toAttachment,
  obj,
} from '../fields';
import { defineAdapter, FieldChecks } from './adapter';

/** What the caller pressed, when the device has several buttons. */
export const OneKeyCallType = z.enum(['fire', 'medical', 'security', 'disaster', 'help', 'other'], {
  error: 'expected fire, medical, security, disaster, help or other',
});
export type OneKeyCallType = z.infer<typeof OneKeyCallType>;

const CALL_TYPE_ZH: Record<OneKeyCallType, string> = {
  fire: '火情',
  medical: '急救',
  security: '治安',
  disaster: '灾情',
  help: '求助',
  other: '呼叫',
};

/** The demo taxonomy's category for each call type (the officer may reclassify). */
const CALL_TYPE_CATEGORY: Partial<Record<OneKeyCallType, string>> = {
  fire: '11',
  security: '0501',
  disaster: '0901',
  medical: '0902',
};

export const OneKeyPayload = obj({
  callId: sourceId(),
  /** the call box or app installation */
  deviceId: sourceId().optional(),
  caller: obj({
    name: optionalText(100),
    phone: PhoneField,
    /** the shop, school or unit the device belongs to */
    organisation: optionalText(200),
  }),
  location: locationObject('wgs84'),
  address: optionalText(500),
  callType: OneKeyCallType.default('other'),
  message: optionalText(2000),
  calledAt: sourceInstant(),
  /** recordings or photos */
  attachments: attachmentList(),
});
export type OneKeyPayload = z.input<typeof OneKeyPayload>;

export const oneKeyAdapter = defineAdapter({
  schema: OneKeyPayload,
  toDraft(p, ctx, source) {
    const checks = new FieldChecks(ctx);
    const knownOrNull = (code: string | undefined) => (code !== undefined && ctx.categories.isKnown(code) ? code : null);
    checks.notInFuture(p.calledAt, 'calledAt');
    const who = p.caller.organisation ?? p.caller.name ?? p.caller.phone;
    const sourceFields: Record<string, string> = { callId: p.callId, callType: p.callType };
    if (p.deviceId) sourceFields.deviceId = p.deviceId;
    return checks.result({
      source: 'one_key',
      externalRef: { system: 'one-key', id: p.callId },
      title: `一键呼叫（${CALL_TYPE_ZH[p.callType]}）：${who}`,
      description: p.message ?? '',
      address: p.address ?? null,
      location: p.location.location,
      sourceLocation: p.location.sourceLocation,
      urgency: 'urgent',
      categoryCode: knownOrNull(CALL_TYPE_CATEGORY[p.callType]) ?? ctx.categories.fromLabel(source, CALL_TYPE_ZH[p.callType]),
      sourceCategory: p.callType,
      appealType: null,
      reporter: { name: p.caller.name ?? null, phone: p.caller.phone, organisation: p.caller.organisation ?? null },
      attachments: p.attachments.map(toAttachment),
      sourceDeadline: null,
      sourceClocks: [],
      declaredGridCode: null,
      reportedAt: p.calledAt,
      sourceFields,
    });
  },
});
