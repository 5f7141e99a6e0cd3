/**
 * The binary COPY parser and the byte-level rows page encoder, without a database: a COPY stream
 * made by hand (as PostgreSQL writes it) cut at every byte, NULLs, empty and non-ASCII fields,
 * header extensions and malformed streams; pages built from bytes equal the text encoder's frames.
 * tests/integration/datacenter/snapshot-copy.test.ts checks both against PostgreSQL itself.
 */
import { describe, expect, it } from 'vitest';
import { BinaryCopyParser, CopyFormatError } from './copy-binary';
import { RowsPageBuilder, rowsPageText } from './snapshot-encoding';

type Field = Buffer | null;

/** A binary COPY stream of `tuples`, as PostgreSQL writes it. */
function copyStream(tuples: Field[][], extension = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')];
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0, 0);
  header.writeUInt32BE(extension.length, 4);
  parts.push(header, extension);
  for (const t of tuples) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(t.length);
    parts.push(count);
    for (const f of t) {
      const len = Buffer.alloc(4);
      len.writeInt32BE(f === null ? -1 : f.length);
      parts.push(len);
      if (f) parts.push(f);
    }
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  parts.push(trailer);
  return Buffer.concat(parts);
}

function int8(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}

/** Each tuple's fields as hex (null for NULL): cheap to compare thousands of times. */
const hex = (tuples: Field[][]) => tuples.map((t) => t.map((f) => (f === null ? null : f.toString('hex'))));

/** Parses `chunks` and returns each tuple's fields as hex. */
function parse(fields: number, chunks: Buffer[]): (string | null)[][] {
  const got: (string | null)[][] = [];
  const parser = new BinaryCopyParser(fields, (buf, at) => {
    const t: (string | null)[] = [];
    for (let f = 0; f < fields; f++) t.push(at[2 * f + 1]! < 0 ? null : buf.toString('hex', at[2 * f]!, at[2 * f]! + at[2 * f + 1]!));
    got.push(t);
  });
  for (const c of chunks) parser.push(c);
  parser.end();
  expect(parser.tuples).toBe(got.length);
  return got;
}

const FIELDS: Field[][] = [
  [Buffer.from('E1'), int8(1), Buffer.from('{"a": 1}')],
  [Buffer.from('键-ü'), null, Buffer.from('{"title": "路面 污渍 😀"}')],
  [Buffer.alloc(0), int8(2 ** 40 + 7), Buffer.from('{}')],
  [Buffer.from('k"\\\n'), int8(3), null],
  [Buffer.from('big'), int8(4), Buffer.alloc(3000, 0x61)],
];

const TUPLES = hex(FIELDS);

describe('BinaryCopyParser', () => {
  const whole = copyStream(FIELDS);

  it('reads every tuple, NULLs and empty fields included, from one chunk', () => {
    expect(parse(3, [whole])).toEqual(TUPLES);
  });

  it('reads the same wherever the stream is cut in two', () => {
    for (let i = 1; i < whole.length; i++) {
      expect(parse(3, [whole.subarray(0, i), whole.subarray(i)]), `cut at ${i}`).toEqual(TUPLES);
    }
  });

  it('reads the same one byte at a time, and cut in three anywhere around the big field', () => {
    expect(parse(3, Array.from(whole, (_, i) => whole.subarray(i, i + 1)))).toEqual(TUPLES);
    const bigAt = whole.indexOf(Buffer.alloc(8, 0x61));
    for (let i = bigAt - 12; i < bigAt + 8; i++) {
      for (const j of [i + 1, i + 5, bigAt + 1500, bigAt + 2999, bigAt + 3000, whole.length - 1]) {
        if (j <= i || j >= whole.length) continue;
        expect(parse(3, [whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]), `cut at ${i}, ${j}`).toEqual(TUPLES);
      }
    }
  });

  it('skips a header extension and reads an empty result', () => {
    expect(parse(3, [copyStream(FIELDS, Buffer.from('ext!'))])).toEqual(TUPLES);
    expect(parse(3, [copyStream([])])).toEqual([]);
  });

  it('refuses a bad signature, OIDs, a wrong field count, a truncated stream and data after the trailer', () => {
    const bad = Buffer.from(whole);
    bad[0] = 0x51;
    expect(() => parse(3, [bad])).toThrow(CopyFormatError);
    const oids = Buffer.from(whole);
    oids.writeUInt32BE(0x10000, 11);
    expect(() => parse(3, [oids])).toThrow(/OIDs/);
    expect(() => parse(2, [whole])).toThrow(/3 fields, expected 2/);
    expect(() => parse(3, [whole.subarray(0, whole.length - 1)])).toThrow(/before its trailer/);
    expect(() => parse(3, [whole.subarray(0, 40)])).toThrow(/before its trailer/);
    expect(() => parse(3, [])).toThrow(/empty/);
    expect(() => parse(3, [whole, Buffer.from([0])])).toThrow(/after the trailer/);
  });
});

describe('RowsPageBuilder', () => {
  const rows = [
    { key: 'E20250601-0042', v: 1, row: '{"id": "E20250601-0042", "n": 1}' },
    { key: '440114001001001:2024-01-01', v: 2 ** 45 + 3, row: '{"name": "花都区", "emoji": "😀", "q": "a\\"b\\\\c\\u0001"}' },
    { key: 'quote"back\\slash', v: 0, row: '{}' },
    { key: 'tab\tnl\ncr\r\u0001\u001f', v: 10, row: '[]' },
    { key: '键ü😀\u007f\u2028', v: 999_999_999, row: '{"x": null}' },
    { key: '', v: 7, row: '"s"' },
  ];

  /** The rows' bytes laid out in one buffer, as a COPY chunk holds them. */
  function build(list: typeof rows, capacity = 10): { page: RowsPageBuilder; frames: Buffer[] } {
    const page = new RowsPageBuilder(capacity);
    const frames: Buffer[] = [];
    for (const r of list) {
      const key = Buffer.from(r.key);
      const row = Buffer.from(r.row);
      const buf = Buffer.concat([Buffer.from('junk'), key, Buffer.from('--'), row, Buffer.from('junk')]);
      page.add(buf, 4, key.length, r.v, 4 + key.length + 2, row.length);
      if (page.full) frames.push(page.take('events')!);
    }
    const last = page.take('events');
    if (last) frames.push(last);
    return { page, frames };
  }

  it('writes exactly the text encoder’s frame, escaping only the keys that need it', () => {
    const { frames } = build(rows);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.toString('utf8')).toBe(rowsPageText('events', rows));
    const parsed = JSON.parse(frames[0]!.toString('utf8')) as { t: string; table: string; rows: { key: string; v: number; row: unknown }[] };
    expect(parsed.rows.map((r) => [r.key, r.v])).toEqual(rows.map((r) => [r.key, r.v]));
    expect(parsed.rows[1]!.row).toEqual(JSON.parse(rows[1]!.row));
  });

  it('writes a version beyond 2^53 (an int8 read from COPY) as the text encoder does', () => {
    // as copyRange decodes them: hi * 2^32 + lo, rounded to a double like Number('…') of the text reader
    const big = [2 ** 54 + 4, 18_520_852_186_488_210, 2 ** 62, Number(2n ** 63n - 1n), -(2 ** 63)].map((v, i) => ({ key: `k${i}`, v, row: '{}' }));
    const { frames } = build(big);
    expect(frames[0]!.toString('utf8')).toBe(rowsPageText('events', big));
    const parsed = JSON.parse(frames[0]!.toString('utf8')) as { rows: { v: number }[] };
    expect(parsed.rows.map((r) => r.v)).toEqual(big.map((r) => r.v));
  });

  it('pages by capacity, and is empty again after each take', () => {
    const { page, frames } = build(rows, 4);
    expect(frames.map((f) => f.toString('utf8'))).toEqual([rowsPageText('events', rows.slice(0, 4)), rowsPageText('events', rows.slice(4))]);
    expect(page.count).toBe(0);
    expect(page.take('events')).toBeNull();
  });
});
