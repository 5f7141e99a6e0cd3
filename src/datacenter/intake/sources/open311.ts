/**
 * Open311 GeoReport v2 service requests from the public (`POST /open311/v2/requests.json`, and
 * `POST /api/v1/intake/open311` for systems that prefer our API). The parameters are those of the
 * specification (service_code; lat/long or address_string or address_id; description; media_url;
 * first_name, last_name, phone, email; attribute[code]), form-encoded or JSON. GeoReport positions
 * are WGS84; `coordinate_system` is our extension for Chinese apps that send GCJ-02 or BD-09.
 * Service codes are taxonomy codes (services.json lists the taxonomy).
 * https://wiki.open311.org/GeoReport_v2/
 */
import { z } from 'zod';
import {
  HttpUrl,
  checkPosition,
  EVEN_WITH_ERRORS,
  isFiniteNumber,
  CoordSystemField,
  numberish,
  optionalText,
  OptionalPhone,
  titleFrom,
  toAttachment,
} from '../fields';
import { toWgs84 } from '../coords';
import { defineAdapter, FieldChecks } from './adapter';

/**
 * Form bodies arrive flat: `attribute[WHISPER]=x`, `attribute[TAGS][]=a`. This folds them into
 * `attribute: { WHISPER: 'x', TAGS: ['a'] }`, as a JSON client would send them.
 */
export function foldOpen311Attributes(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attribute: Record<string, unknown> = typeof body.attribute === 'object' && body.attribute !== null ? { ...(body.attribute as Record<string, unknown>) } : {};
  let any = Object.keys(attribute).length > 0;
  for (const [k, v] of Object.entries(body)) {
    const m = /^attribute\[([^\]]+)\](\[\])?$/.exec(k);
    if (!m) {
      if (k !== 'attribute') out[k] = v;
      continue;
    }
    any = true;
    const code = m[1]!;
    if (m[2]) attribute[code] = [...((attribute[code] as unknown[] | undefined) ?? []), ...(Array.isArray(v) ? v : [v])];
    else attribute[code] = v;
  }
  if (any) out.attribute = attribute;
  return out;
}

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

export const Open311RequestPayload = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? foldOpen311Attributes(v as Record<string, unknown>) : v),
  z
    .object({
      /** handled by the API-key hook, ignored here */
      api_key: z.string().optional(),
      jurisdiction_id: optionalText(100),
      service_code: z
        .string({ error: (iss) => (iss.input === undefined ? 'required' : 'expected a string') })
        .trim()
        .min(1, 'required')
        .max(32),
      lat: z.preprocess(blankToUndefined, numberish().optional()),
      long: z.preprocess(blankToUndefined, numberish().optional()),
      coordinate_system: z.preprocess(blankToUndefined, CoordSystemField.optional()),
      address_string: optionalText(500),
      address_id: optionalText(100),
      email: z.preprocess(blankToUndefined, z.email('not an e-mail address').max(200).optional()),
      device_id: optionalText(100),
      account_id: optionalText(100),
      first_name: optionalText(100),
      last_name: optionalText(100),
      phone: OptionalPhone,
      description: optionalText(4000),
      media_url: z.preprocess(blankToUndefined, HttpUrl.optional()),
      attribute: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    })
    .superRefine((v, ctx) => {
      const hasLat = v.lat !== undefined;
      const hasLong = v.long !== undefined;
      if (hasLat !== hasLong) ctx.addIssue({ code: 'custom', path: [hasLat ? 'long' : 'lat'], message: 'lat and long come together' });
      else if (isFiniteNumber(v.lat) && isFiniteNumber(v.long)) checkPosition(v.long, v.lat, ctx, ['long'], ['lat']);
      if (!hasLat && !hasLong && !v.address_string && !v.address_id) {
        ctx.addIssue({ code: 'custom', path: ['lat'], message: 'a location is required: lat and long, address_string or address_id' });
      }
    }, EVEN_WITH_ERRORS),
);
export type Open311RequestPayload = z.input<typeof Open311RequestPayload>;

export const open311Adapter = defineAdapter({
  schema: Open311RequestPayload,
  toDraft(p, ctx) {
    const checks = new FieldChecks(ctx);
    checks.knownCategory(p.service_code, 'service_code');
    const converted = p.lat !== undefined && p.long !== undefined ? toWgs84(p.long, p.lat, p.coordinate_system ?? 'wgs84') : null;
    const name = [p.last_name, p.first_name].filter(Boolean).join('') || null;
    const serviceName = ctx.categories.nameOf(p.service_code) ?? p.service_code;
    const sourceFields: Record<string, string | null> = {};
    for (const k of ['jurisdiction_id', 'address_id', 'device_id', 'account_id', 'email'] as const) if (p[k]) sourceFields[k] = p[k]!;
    for (const [k, v] of Object.entries(p.attribute ?? {})) sourceFields[`attribute.${k}`] = Array.isArray(v) ? v.join(',') : v;
    return checks.result({
      source: 'open311',
      externalRef: null,
      title: p.description ? `${serviceName}：${titleFrom(p.description, 30)}` : serviceName,
      description: p.description ?? '',
      address: p.address_string ?? null,
      location: converted?.location ?? null,
      sourceLocation: converted?.sourceLocation ?? null,
      urgency: 'normal',
      categoryCode: p.service_code,
      sourceCategory: p.service_code,
      appealType: null,
      reporter: name || p.phone ? { name, phone: p.phone ?? null, organisation: null } : null,
      attachments: p.media_url ? [toAttachment({ url: p.media_url })] : [],
      sourceDeadline: null,
      sourceClocks: [],
      declaredGridCode: null,
      reportedAt: ctx.now.toISOString(),
      sourceFields,
    });
  },
});
