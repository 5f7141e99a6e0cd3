import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerFrame } from '../../core/rpc/wire';
import { readServerFrame } from './websocket';

/** values shaped like frames, and near misses of every field */
const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.double(), fc.integer(), fc.string(), fc.constantFrom(-0, -1, 1.5, 2 ** 53, Number.NaN), fc.jsonValue());
const error = fc.record(
  { code: fc.oneof(fc.constantFrom('unavailable', 'timeout', 'not_found', 'bogus_code'), anyValue), message: fc.oneof(fc.string(), anyValue), details: anyValue },
  { requiredKeys: [] },
);
const reply = fc.oneof(
  fc.record({ ok: fc.oneof(fc.constant(true), anyValue), result: anyValue }, { requiredKeys: [] }),
  fc.record({ ok: fc.oneof(fc.constant(false), anyValue), error: fc.oneof(error, anyValue) }, { requiredKeys: [] }),
  anyValue,
);
const frame = fc.oneof(
  fc.record({ t: fc.oneof(fc.constant('res'), anyValue), id: fc.oneof(fc.nat(), anyValue), reply }, { requiredKeys: [] }),
  fc.record({ t: fc.oneof(fc.constant('evt'), anyValue), name: fc.oneof(fc.string(), anyValue), payload: anyValue }, { requiredKeys: [] }),
  anyValue,
);

describe('readServerFrame', () => {
  it('accepts exactly the frames the ServerFrame schema accepts, with the same content', () => {
    fc.assert(
      fc.property(frame, (raw) => {
        const zod = ServerFrame.safeParse(raw);
        const ours = readServerFrame(raw);
        expect(ours !== null).toBe(zod.success);
        if (zod.success) expect(ours).toEqual(zod.data);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the frames the web host sends', () => {
    expect(readServerFrame({ t: 'evt', name: 'events/changed', payload: { ids: ['a'], all: false, checkpoint: null } })).toEqual({
      t: 'evt',
      name: 'events/changed',
      payload: { ids: ['a'], all: false, checkpoint: null },
    });
    expect(readServerFrame({ t: 'res', id: 7, reply: { ok: true, result: { rows: [] } } })).toEqual({ t: 'res', id: 7, reply: { ok: true, result: { rows: [] } } });
    expect(readServerFrame({ t: 'res', id: 8, reply: { ok: false, error: { code: 'timeout', message: 'late' } } })).toEqual({
      t: 'res',
      id: 8,
      reply: { ok: false, error: { code: 'timeout', message: 'late' } },
    });
    expect(readServerFrame({ t: 'res', id: 1.5, reply: { ok: true, result: 1 } })).toBeNull();
    expect(readServerFrame({ t: 'res', id: 9, reply: { ok: false, error: { code: 'no_such_code', message: 'x' } } })).toBeNull();
  });
});
