/**
 * Request bodies as intake sees them: the text exactly as received plus its content type, kept
 * verbatim for the quarantine, and decoded here (JSON, or form fields as Open311 clients send
 * them). A body that cannot be decoded is a field error on `(body)`, quarantined like any other.
 */
import { createHash } from 'node:crypto';
import type { FieldError } from '../../core/errors';

export interface RawBody {
  /** the body as received, decoded as UTF-8 */
  text: string;
  /** the Content-Type header, null when absent */
  contentType: string | null;
}

export type DecodedBody = { ok: true; value: unknown } | { ok: false; status: 400 | 415; errors: FieldError[] };

function mediaType(contentType: string | null): string | null {
  return contentType ? contentType.split(';')[0]!.trim().toLowerCase() : null;
}

/** Form fields as an object; a repeated key becomes an array of its values. */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prior = out[k];
    out[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return out;
}

export function decodeBody(body: RawBody): DecodedBody {
  const type = mediaType(body.contentType);
  const text = body.text;
  if (text.trim() === '') return { ok: false, status: 400, errors: [{ field: '(body)', message: 'the body is empty' }] };
  const looksJson = /^\s*[[{]/.test(text);
  if (type === 'application/json' || (type !== null && type.endsWith('+json')) || ((type === null || type === 'text/plain') && looksJson)) {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (err) {
      return { ok: false, status: 400, errors: [{ field: '(body)', message: `not valid JSON: ${(err as Error).message}` }] };
    }
  }
  if (type === 'application/x-www-form-urlencoded') return { ok: true, value: parseForm(text) };
  return {
    ok: false,
    status: 415,
    errors: [{ field: '(body)', message: `unsupported content type ${type ?? '(none)'}: send application/json (or application/x-www-form-urlencoded)` }],
  };
}

/** JSON with object keys sorted, so the same payload always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha-256 of a decoded payload without its credentials (`api_key` of Open311). */
export function payloadHash(value: unknown): string {
  const v = value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>), api_key: undefined } : value;
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}
