/**
 * The binary frame of typed arrays: any message round-trips with its typed
 * arrays as the same kinds and values (a property over random messages),
 * arrays come back as aligned views of the received buffer (no copy), frames
 * without typed arrays are left to JSON, and a damaged or hostile frame is
 * refused instead of misread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBinary, encodeBinary, hasTypedArrays, isBinaryFrame } from './binary';

const typedArray = fc.oneof(
  fc.float32Array({ maxLength: 40 }),
  fc.float64Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8ClampedArray({ maxLength: 40 }),
  fc.int8Array({ maxLength: 40 }),
  fc.uint16Array({ maxLength: 40 }),
  fc.int16Array({ maxLength: 40 }),
  fc.uint32Array({ maxLength: 40 }),
  fc.int32Array({ maxLength: 40 }),
);

const message = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string(),
    typedArray,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Equality that tells typed-array kinds apart and treats NaN as equal to NaN. */
function same(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (a && typeof a === 'object') {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.join('\u0000') === kb.join('\u0000') && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

describe('binary frames of typed arrays', () => {
  it('round-trips any message: typed arrays of every kind keep kind, length and values; the rest stays JSON', () => {
    fc.assert(
      fc.property(message, (m) => {
        const frame = encodeBinary(m);
        if (!hasTypedArrays(m)) {
          expect(frame).toBeNull();
          return;
        }
        expect(frame).not.toBeNull();
        expect(isBinaryFrame(frame!)).toBe(true);
        expect(same(decodeBinary(frame!), m)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes arrays as aligned views of the received buffer, not copies', () => {
    const m = { t: 'res', id: 3, reply: { ok: true, result: { a: new Uint8Array([1, 2, 3]), b: new Float64Array([1.5, NaN, -0]), c: [new Float32Array([0.25])] } } };
    const frame = encodeBinary(m)!;
    const out = decodeBinary(frame.buffer as ArrayBuffer) as typeof m;
    expect(out.reply.result.b.buffer).toBe(frame.buffer);
    expect(out.reply.result.b.byteOffset % 8).toBe(0);
    expect(Object.is(out.reply.result.b[2], -0)).toBe(true);
    expect(Number.isNaN(out.reply.result.b[1])).toBe(true);
    expect(out.reply.result.c[0]).toEqual(new Float32Array([0.25]));
  });

  it('does not change the message it encodes (copy-on-write)', () => {
    const positions = new Float32Array([113.2, 23.4]);
    const m = { result: { positions, ids: ['a'] }, other: { x: 1 } };
    encodeBinary(m);
    expect(m.result.positions).toBe(positions);
    expect(m.other).toEqual({ x: 1 });
  });

  it('reads a frame that does not start on an 8-byte boundary (copied once)', () => {
    const frame = encodeBinary({ v: new Float64Array([1, 2, 3]) })!;
    const shifted = new Uint8Array(frame.byteLength + 3);
    shifted.set(frame, 3);
    const out = decodeBinary(shifted.subarray(3)) as { v: Float64Array };
    expect(Array.from(out.v)).toEqual([1, 2, 3]);
  });

  it('a typed array at the root travels too', () => {
    expect(decodeBinary(encodeBinary(new Uint32Array([7, 8]))!)).toEqual(new Uint32Array([7, 8]));
  });

  it('refuses what is not a frame, a truncated one, and paths that reach the prototype', () => {
    expect(() => decodeBinary(new TextEncoder().encode('{"t":"res"}'))).toThrow(/not a binary frame/);
    const frame = encodeBinary({ v: new Float64Array(100) })!;
    expect(() => decodeBinary(frame.subarray(0, frame.byteLength - 8).slice())).toThrow(/past the end/);
    const header = new TextEncoder().encode(JSON.stringify({ value: {}, arrays: [{ path: ['__proto__', 'polluted'], type: 'u8', offset: 0, length: 1 }] }));
    const hostile = new Uint8Array(((8 + header.byteLength + 7) & ~7) + 8);
    hostile.set([0x48, 0x59, 0x42, 0x31]);
    new DataView(hostile.buffer).setUint32(4, header.byteLength, true);
    hostile.set(header, 8);
    expect(() => decodeBinary(hostile)).toThrow(/forbidden key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
