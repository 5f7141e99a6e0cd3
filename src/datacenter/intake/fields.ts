/**
 * Field schemas shared by the intake adapters, written so that every problem is reported at the
 * path of the field the source got wrong (`location.lon`, `photos.2.url`), with a message a
 * source system's engineer can act on. Sources are lenient in practice (numbers as strings,
 * local times without a zone, coordinate systems spelled `AMap` or `BD-09`); these schemas accept
 * those spellings and normalise them, and reject what cannot be meant.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CoordSystem } from '../../core/events/types';
import type { Attachment } from '../../core/workflow/commands';
import { COORD_SYSTEM_SPELLINGS, CHINA_BOUNDS, inChina, normaliseCoordSystem, toWgs84, type ConvertedLocation } from './coords';

/** China Standard Time: local times without a zone are read at UTC+8. */
const CST_OFFSET = '+08:00';

const typeMessage = (expected: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : `expected ${expected}`);

/**
 * Options for cross-field refinements that must run even when another field failed, so a payload
 * gets all its errors at once. The refinement then sees raw values where a field failed: guard
 * with `isFiniteNumber` / `isString`.
 */
export const EVEN_WITH_ERRORS = { when: () => true } as const;

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isString = (v: unknown): v is string => typeof v === 'string';

/** `z.object` whose absence reads "required" rather than zod's type message. */
export function obj<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.object(shape, { error: typeMessage('an object') });
}

/** A required, trimmed, non-empty string of at most `max` characters. */
export function requiredText(max: number) {
  return z
    .string({ error: typeMessage('a string') })
    .trim()
    .min(1, 'required')
    .max(max, `at most ${max} characters`);
}

/** An optional trimmed string; empty strings count as absent. */
export function optionalText(max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '') || v === null ? undefined : v,
    z.string({ error: typeMessage('a string') }).trim().max(max, `at most ${max} characters`).optional(),
  );
}

/** An identifier from the source (work-order number, case number): string or integer, kept as a string. */
export function sourceId(max = 64) {
  return z.preprocess(
    (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v),
    z
      .string({ error: typeMessage('a string') })
      .trim()
      .min(1, 'required')
      .max(max, `at most ${max} characters`)
      .regex(/^[\p{L}\p{N}_\-.:/#]+$/u, 'letters, digits and - _ . : / # only'),
  );
}

const NUMBER_RE = /^[-+]?\d+(\.\d+)?$/;

/** A finite number, also accepted as a numeric string ("113.21"). */
export function numberish() {
  return z.preprocess(
    (v) => (typeof v === 'string' && NUMBER_RE.test(v.trim()) ? Number(v.trim()) : v),
    z.number({ error: typeMessage('a number') }).finite('expected a finite number'),
  );
}

export const CoordSystemField = z
  .string({ error: typeMessage('a coordinate system name') })
  .transform((s, ctx): CoordSystem => {
    const sys = normaliseCoordSystem(s);
    if (sys) return sys;
    ctx.addIssue({ code: 'custom', message: `unknown coordinate system ${JSON.stringify(s)}; expected one of wgs84, cgcs2000, gcj02, bd09 (or ${COORD_SYSTEM_SPELLINGS.join(', ')})` });
    return z.NEVER;
  });

/**
 * Checks a position and reports at `lonPath` / `latPath` (relative to the object being refined).
 * Positions outside China are rejected (they are garbage: 0,0 or swapped axes); positions in China
 * but outside the district are accepted and flagged later by the grid locator.
 */
export function checkPosition(
  lon: number,
  lat: number,
  ctx: z.RefinementCtx,
  lonPath: (string | number)[],
  latPath: (string | number)[],
): boolean {
  let ok = true;
  if (lon < -180 || lon > 180) {
    ctx.addIssue({ code: 'custom', path: lonPath, message: 'longitude must be between -180 and 180' });
    ok = false;
  }
  if (lat < -90 || lat > 90) {
    ctx.addIssue({ code: 'custom', path: latPath, message: 'latitude must be between -90 and 90' });
    ok = false;
  }
  if (!ok) {
    if (inChina(lat, lon)) ctx.addIssue({ code: 'custom', path: latPath, message: 'latitude and longitude look swapped' });
    return false;
  }
  if (!inChina(lon, lat)) {
    if (inChina(lat, lon)) {
      ctx.addIssue({ code: 'custom', path: lonPath, message: 'latitude and longitude look swapped' });
      return false;
    }
    const lonBad = lon < CHINA_BOUNDS.minLon || lon > CHINA_BOUNDS.maxLon;
    ctx.addIssue({
      code: 'custom',
      path: lonBad ? lonPath : latPath,
      message: lonBad
        ? `longitude ${lon} is not in China (expected ${CHINA_BOUNDS.minLon}–${CHINA_BOUNDS.maxLon})`
        : `latitude ${lat} is not in China (expected ${CHINA_BOUNDS.minLat}–${CHINA_BOUNDS.maxLat})`,
    });
    return false;
  }
  return true;
}

/**
 * `{ lon, lat, coordSystem? }` → WGS84 with the original kept. `defaultSystem` is what the source
 * documents when it omits the field.
 */
export function locationObject(defaultSystem: CoordSystem = 'wgs84') {
  return obj({
      lon: numberish(),
      lat: numberish(),
      coordSystem: CoordSystemField.optional(),
    })
    .transform((v, ctx): ConvertedLocation => {
      if (!checkPosition(v.lon, v.lat, ctx, ['lon'], ['lat'])) return z.NEVER;
      return toWgs84(v.lon, v.lat, v.coordSystem ?? defaultSystem);
    });
}

const LOCAL_RE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** ISO instant (UTC) of a source timestamp, or an error message. */
export function parseSourceInstant(v: unknown): { ok: true; iso: string } | { ok: false; message: string } {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) return { ok: false, message: 'expected a positive epoch time' };
    // seconds before 5138 AD in seconds are below 1e11; milliseconds since 1973 are above
    const ms = v < 1e11 ? v * 1000 : v;
    return { ok: true, iso: new Date(ms).toISOString() };
  }
  if (typeof v !== 'string') return { ok: false, message: v === undefined ? 'required' : 'expected a date-time string' };
  const m = LOCAL_RE.exec(v.trim());
  if (!m) return { ok: false, message: 'expected a date-time such as 2025-11-26T14:30:00+08:00 or 2025-11-26 14:30:00 (read as UTC+8)' };
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const Y = Number(y);
  const M = Number(mo);
  const D = Number(d);
  const probe = new Date(Date.UTC(Y, M - 1, D));
  if (probe.getUTCFullYear() !== Y || probe.getUTCMonth() !== M - 1 || probe.getUTCDate() !== D) return { ok: false, message: `${y}-${mo}-${d} is not a real date` };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return { ok: false, message: 'time of day out of range' };
  let offset = CST_OFFSET;
  if (zone && zone.toUpperCase() !== 'Z') offset = zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  else if (zone) offset = 'Z';
  const pad = (x: string) => x.padStart(2, '0');
  const text = `${y}-${pad(mo!)}-${pad(d!)}T${pad(h)}:${pad(mi)}:${pad(s)}${frac}${offset}`;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return { ok: false, message: 'not a valid date-time' };
  return { ok: true, iso: new Date(ms).toISOString() };
}

/** A timestamp from a source: ISO 8601, `YYYY-MM-DD HH:mm:ss` (UTC+8) or epoch seconds/milliseconds. */
export function sourceInstant() {
  return z.unknown().transform((v, ctx): string => {
    const r = parseSourceInstant(v);
    if (r.ok) return r.iso;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });
}

/** Same, absent allowed (undefined, null or ''). */
export function optionalSourceInstant() {
  return z.preprocess((v) => (v === null || v === '' ? undefined : v), sourceInstant().optional());
}

export const PhoneField = z
  .string({ error: typeMessage('a phone number') })
  .trim()
  .regex(/^\+?[\d\- ()]{3,24}$/, 'not a phone number (digits, spaces, + - ( ) only)');

export const OptionalPhone = z.preprocess((v) => (v === null || v === '' ? undefined : typeof v === 'number' ? String(v) : v), PhoneField.optional());

export const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** An attachment reference: a URL, or `{ url, name?, mediaType?, sizeBytes? }`. */
export const AttachmentInput = z.preprocess(
  (v) => (typeof v === 'string' ? { url: v } : v),
  obj({
    url: HttpUrl,
    name: optionalText(200),
    mediaType: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'expected a media type such as image/jpeg')
      .optional(),
    sizeBytes: z.number().int().nonnegative().optional(),
  }),
);
export type AttachmentInput = z.output<typeof AttachmentInput>;

const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  amr: 'audio/amr',
  wav: 'audio/wav',
  pdf: 'application/pdf',
};

/**
 * An attachment record with an id derived from its URL (stable when the same payload is replayed
 * from quarantine), a name from the URL when none is given and a media type from the extension.
 */
export function toAttachment(a: AttachmentInput): Attachment {
  const url = new URL(a.url);
  const base = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '') || url.hostname;
  const ext = /\.([a-z0-9]+)$/i.exec(base)?.[1]?.toLowerCase() ?? '';
  const att: Attachment = {
    id: `att-${createHash('sha256').update(a.url).digest('hex').slice(0, 16)}`,
    name: a.name ?? base,
    mediaType: a.mediaType ?? MEDIA_TYPES[ext] ?? 'application/octet-stream',
    url: a.url,
  };
  if (a.sizeBytes !== undefined) att.sizeBytes = a.sizeBytes;
  return att;
}

export function attachmentList(max = 50) {
  return z.array(AttachmentInput).max(max, `at most ${max} attachments`).default([]);
}

export const UrgencyField = z.enum(['normal', 'urgent', 'critical'], { error: 'expected normal, urgent or critical' });

/** First `n` characters of a text on one line, for a title made from a description. */
export function titleFrom(text: string, n = 40): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= n ? line : `${line.slice(0, n - 1)}…`;
}
