/**
 * The phone-call intake form as data: its values, the zod schema that checks
 * them (every message is a stable code the form translates and shows under
 * the field it names), and the `event/intake` payload the data center's manual
 * intake takes (src/datacenter/workflow/manual-intake.ts). Coordinates are sent
 * with their coordinate system; the data center converts GCJ-02/BD-09 to WGS84.
 */
import { z } from 'zod';
import type { CoordSystem, Urgency } from '../../../core/events/types';

export interface IntakeValues {
  title: string;
  description: string;
  categoryCode: string | null;
  urgency: Urgency;
  address: string;
  /** text fields as typed (a map pick fills them) */
  lon: string;
  lat: string;
  coordSystem: CoordSystem;
  callerName: string;
  callerPhone: string;
  callerOrg: string;
  /** 立案 at once */
  file: boolean;
}

export const EMPTY_INTAKE: IntakeValues = {
  title: '',
  description: '',
  categoryCode: null,
  urgency: 'normal',
  address: '',
  lon: '',
  lat: '',
  coordSystem: 'wgs84',
  callerName: '',
  callerPhone: '',
  callerOrg: '',
  file: true,
};

export type IntakeErrorCode = 'required' | 'too_long' | 'bad_phone' | 'bad_number' | 'lon_range' | 'lat_range' | 'need_place' | 'unknown_category';

export interface IntakeFieldError {
  field: keyof IntakeValues;
  code: IntakeErrorCode;
  /** for too_long */
  max?: number;
}

/** The manual intake payload (`Mutation { name: 'event/intake', event }`). */
export interface IntakePayload {
  title: string;
  description?: string;
  address?: string;
  location?: { lon: number; lat: number; coordSystem: CoordSystem };
  urgency: Urgency;
  categoryCode?: string;
  reporter?: { name?: string; phone?: string; organisation?: string };
  file: boolean;
}

const text = (max: number, required = false) => {
  const base = z.string().trim().max(max, { message: `too_long:${max}` });
  return required ? base.min(1, { message: 'required' }) : base;
};
const NUMBER_RE = /^[-+]?\d+(\.\d+)?$/;
const coordinate = (min: number, max: number, code: 'lon_range' | 'lat_range') =>
  z
    .string()
    .trim()
    .refine((s) => s === '' || NUMBER_RE.test(s), { message: 'bad_number' })
    .refine((s) => s === '' || !NUMBER_RE.test(s) || (Number(s) >= min && Number(s) <= max), { message: code });

export const IntakeSchema = z
  .object({
    title: text(200, true),
    description: text(10_000),
    categoryCode: z.string().nullable().refine((c) => c !== null && c !== '', { message: 'required' }),
    urgency: z.enum(['normal', 'urgent', 'critical']),
    address: text(500),
    lon: coordinate(73, 136, 'lon_range'),
    lat: coordinate(3, 54, 'lat_range'),
    coordSystem: z.enum(['wgs84', 'cgcs2000', 'gcj02', 'bd09']),
    callerName: text(100),
    callerPhone: z
      .string()
      .trim()
      .refine((s) => s === '' || /^\+?[\d\- ()]{3,24}$/.test(s), { message: 'bad_phone' }),
    callerOrg: text(200),
    file: z.boolean(),
  })
  .superRefine((v, ctx) => {
    const hasPoint = v.lon.trim() !== '' && v.lat.trim() !== '';
    if (v.lon.trim() !== '' && v.lat.trim() === '') ctx.addIssue({ code: 'custom', path: ['lat'], message: 'required' });
    if (v.lat.trim() !== '' && v.lon.trim() === '') ctx.addIssue({ code: 'custom', path: ['lon'], message: 'required' });
    if (!hasPoint && v.address.trim() === '') ctx.addIssue({ code: 'custom', path: ['address'], message: 'need_place' });
  });

function toFieldError(issue: z.core.$ZodIssue): IntakeFieldError {
  const field = String(issue.path[0] ?? 'title') as keyof IntakeValues;
  const [code, max] = issue.message.split(':');
  const known: IntakeErrorCode[] = ['required', 'too_long', 'bad_phone', 'bad_number', 'lon_range', 'lat_range', 'need_place', 'unknown_category'];
  const c = (known as string[]).includes(code!) ? (code as IntakeErrorCode) : 'required';
  return max ? { field, code: c, max: Number(max) } : { field, code: c };
}

/** The payload, or one error per field (the first problem of each), in form order. */
export function validateIntake(values: IntakeValues, isKnownCategory?: (code: string) => boolean): { ok: true; payload: IntakePayload } | { ok: false; errors: IntakeFieldError[] } {
  const parsed = IntakeSchema.safeParse(values);
  const errors: IntakeFieldError[] = parsed.success ? [] : parsed.error.issues.map(toFieldError);
  if (values.categoryCode && isKnownCategory && !isKnownCategory(values.categoryCode) && !errors.some((e) => e.field === 'categoryCode')) {
    errors.push({ field: 'categoryCode', code: 'unknown_category' });
  }
  if (errors.length > 0 || !parsed.success) {
    const order = Object.keys(EMPTY_INTAKE);
    const firstPerField = new Map<string, IntakeFieldError>();
    for (const e of errors) if (!firstPerField.has(e.field)) firstPerField.set(e.field, e);
    return { ok: false, errors: [...firstPerField.values()].sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field)) };
  }
  const v = parsed.data;
  const reporter = { ...(v.callerName ? { name: v.callerName } : {}), ...(v.callerPhone ? { phone: v.callerPhone } : {}), ...(v.callerOrg ? { organisation: v.callerOrg } : {}) };
  return {
    ok: true,
    payload: {
      title: v.title,
      ...(v.description ? { description: v.description } : {}),
      ...(v.address ? { address: v.address } : {}),
      ...(v.lon && v.lat ? { location: { lon: Number(v.lon), lat: Number(v.lat), coordSystem: v.coordSystem } } : {}),
      urgency: v.urgency,
      ...(v.categoryCode ? { categoryCode: v.categoryCode } : {}),
      ...(Object.keys(reporter).length ? { reporter } : {}),
      file: v.file,
    },
  };
}
