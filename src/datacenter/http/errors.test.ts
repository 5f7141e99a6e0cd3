import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HuyingError } from '../../core';
import { classify } from './errors';
import { matchesEtag } from './reference-routes';

describe('classify', () => {
  it('gives each error code its status, and hides unexpected errors behind a request id', () => {
    expect(classify(new HuyingError('not_found', 'x'), 'r1')).toMatchObject({ status: 404, body: { ok: false, error: { code: 'not_found' } } });
    expect(classify(new HuyingError('must_refetch', 'x'), 'r1').status).toBe(409);
    expect(classify(new HuyingError('unavailable', 'x'), 'r1').status).toBe(503);
    expect(classify(z.object({ a: z.string() }).safeParse({}).error, 'r1')).toMatchObject({ status: 400, body: { error: { code: 'invalid_args' } } });
    const internal = classify(new Error('relation "secret_table" does not exist'), 'req-9');
    expect(internal).toMatchObject({ status: 500, log: true, body: { error: { code: 'internal', details: { requestId: 'req-9' } } } });
    expect(JSON.stringify(internal.body)).not.toContain('secret_table');
    expect(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'r').status).toBe(503);
    expect(classify(Object.assign(new Error('Body is too large'), { statusCode: 413 }), 'r')).toMatchObject({ status: 413, body: { error: { code: 'invalid_args' } } });
  });
});

describe('matchesEtag', () => {
  it('matches the quoted version, weak or in a list, and *', () => {
    expect(matchesEtag('"v1"', 'v1')).toBe(true);
    expect(matchesEtag('W/"v1"', 'v1')).toBe(true);
    expect(matchesEtag('"a", "v1"', 'v1')).toBe(true);
    expect(matchesEtag('*', 'v1')).toBe(true);
    expect(matchesEtag('v1', 'v1')).toBe(false);
    expect(matchesEtag('"v2"', 'v1')).toBe(false);
    expect(matchesEtag(undefined, 'v1')).toBe(false);
  });
});
