/**
 * A `rows` line in the data center's layout is taken apart at its separators
 * (snapshot-frames.ts `splitRowsLine`): each document's text is kept as the
 * data center sent it, and the keys, versions and extracted columns are what
 * parsing the whole line gives — for any chunking of the bytes, non-ASCII
 * text, separators that occur inside documents, and lines that do not fit
 * the layout (parsed whole instead). Malformed lines are refused with the
 * whole-line path's messages.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { makeEvent } from './feed-fixtures';
import { EXTRACTION_VERSION, extractedColumns, extractRow, stagedDoc, type StagedRows } from '../../../src/main/service/store/replicated-rows';
import { MalformedError } from '../../../src/main/service/sync/http';
import { SnapshotLineParser, type ParsedFrame } from '../../../src/main/service/sync/snapshot-frames';

/** PostgreSQL's jsonb::text layout: a space after every ':' and ',' outside strings */
function pgText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pgText).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pgText(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

interface Row {
  key: string;
  v: number;
  row: unknown;
}

/** a rows line as the data center writes it (documents in `text`'s layout) */
function rowsLine(rows: Row[], text: (v: unknown) => string = JSON.stringify, table = 'events'): string {
  return `{"t":"rows","table":${JSON.stringify(table)},"rows":[${rows.map((r) => `{"key":${JSON.stringify(r.key)},"v":${r.v},"row":${text(r.row)}}`).join(',')}]}`;
}

/** every frame of these bytes, pushed in the given pieces, read as by a client that asked for the columns or not */
function parse(bytes: Uint8Array, cuts: number[] = [], askedForColumns = true): ParsedFrame[] {
  const p = new SnapshotLineParser(askedForColumns);
  const out: ParsedFrame[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.byteLength]) {
    out.push(...p.push(bytes.subarray(from, at)).map((f) => f.frame));
    from = at;
  }
  const last = p.finish();
  if (last) out.push(last.frame);
  return out;
}

function rowsOf(frames: ParsedFrame[]): StagedRows[] {
  return frames.flatMap((f) => (f.t === 'rows' ? [f.rows] : []));
}

const docs = (s: StagedRows) => s.keys.map((_, i) => stagedDoc(s, i));

/** what the whole-line path gives for these rows: keys, versions, extracted columns (documents aside) */
function expected(rows: Row[]) {
  const x = rows.map((r) => extractRow('events', r.key, r.row));
  return { keys: rows.map((r) => r.key), vs: rows.map((r) => r.v), values: x.flatMap((e) => e.values) };
}

const enc = new TextEncoder();

describe('a rows line in the data center layout', () => {
  const rows: Row[] = [
    { key: 'ev-1', v: 3, row: makeEvent('ev-1', { title: '井盖缺失 🚧', deadline: '2026-11-21T08:00:00.000Z' }) },
    { key: '事件-2', v: 9, row: { ...makeEvent('事件-2'), address: 'Rue de l’Église', description: 'a\tb\nc "quoted" \\ back' } },
    { key: 'ev-3', v: 4, row: makeEvent('ev-3', { status: 'dispatched' }) },
  ];

  it("keeps each document's text as the data center sent it (PostgreSQL's spaces too), the columns as parsing the line gives them", () => {
    for (const text of [JSON.stringify, pgText]) {
      const [frame] = parse(enc.encode(rowsLine(rows, text) + '\n'));
      expect(frame!.t).toBe('rows');
      const staged = rowsOf([frame!])[0]!;
      expect(docs(staged)).toEqual(rows.map((r) => text(r.row)));
      expect(staged).toMatchObject({ ...expected(rows), table: 'events', maxV: 9, maxVKey: '事件-2' });
      expect(docs(staged).map((d) => JSON.parse(d))).toEqual(rows.map((r) => r.row));
    }
  });

  it('gives the same frame whatever chunk boundary the bytes arrive with', () => {
    const bytes = enc.encode(`${rowsLine(rows, pgText)}\n${rowsLine(rows.slice(1), JSON.stringify)}\n`);
    const print = (frames: ParsedFrame[]) =>
      rowsOf(frames).map((r) => JSON.stringify({ ...r, docBytes: Buffer.from(r.docBytes).toString('base64') }));
    const whole = print(parse(bytes));
    expect(whole).toHaveLength(2);
    // a cut at every byte near the lines' ends and starts, every 37th byte elsewhere
    for (let at = 1; at < bytes.byteLength; at += at < 300 || at > bytes.byteLength - 300 ? 1 : 37) {
      expect(print(parse(bytes, [at]))).toEqual(whole);
    }
    // and pieces of one byte over the first 400 bytes
    expect(print(parse(bytes, Array.from({ length: 400 }, (_, i) => 100 + i)))).toEqual(whole);
  });

  it('takes a separator inside a document (as structure or in a string) for what it is', () => {
    const tricky: Row[] = [
      // '},{"key":' as structure: an array of objects the second of which has a key field
      { key: 'a', v: 1, row: { ...makeEvent('a'), links: [{ x: {} }, { key: 'b', v: 2, row: { t: 'rows' } }] } },
      // the separators' text inside strings (their quotes escaped) and in a key
      { key: 'b},{"key":"c', v: 2, row: { ...makeEvent('b},{"key":"c'), note: '},{"key":"x","v":1,"row":{}}]}' } },
      { key: 'c', v: 3, row: { ...makeEvent('c'), tail: [[{}]], last: { key: {} } } },
    ];
    for (const text of [JSON.stringify, pgText]) {
      const staged = rowsOf(parse(enc.encode(rowsLine(tricky, text) + '\n')))[0]!;
      expect(staged).toMatchObject(expected(tricky));
      expect(docs(staged).map((d) => JSON.parse(d))).toEqual(tricky.map((r) => r.row));
    }
  });

  it('parses a line in another layout whole (whitespace, other fields, keys with escapes, an empty frame)', () => {
    const spaced = JSON.stringify({ t: 'rows', table: 'events', rows }, null, 1).replace(/\n/g, ' ');
    const reordered = JSON.stringify({ table: 'events', t: 'rows', rows: rows.map((r) => ({ v: r.v, key: r.key, row: r.row })) });
    const extra = rowsLine(rows).slice(0, -1) + ',"more":1}';
    const escapedKey = rowsLine(rows).replace('"key":"ev-3"', '"key":"ev\\u002d3"');
    for (const line of [spaced, reordered, extra, escapedKey]) {
      const staged = rowsOf(parse(enc.encode(line + '\n')))[0]!;
      expect(staged).toMatchObject(expected(rows));
      expect(docs(staged)).toEqual(rows.map((r) => JSON.stringify(r.row)));
    }
    const empty = rowsOf(parse(enc.encode('{"t":"rows","table":"audit","rows":[]}\n')))[0]!;
    expect(empty).toMatchObject({ table: 'audit', keys: [], vs: [], values: [], docEnds: [] });
    expect(empty.docBytes.byteLength).toBe(0);
  });

  it('stores a document with a repeated member as JSON.parse reads it, so SQLite reads it the same way', () => {
    // JSON.parse keeps a repeated member's last value, SQLite's json_extract its first: a text stored as sent
    // with both would give the extracted columns and the detail view one value and the FTS fill, the outbox's
    // preconditions and KPI names another (jsonb never repeats a member, a line from elsewhere can)
    const db = new Database(':memory:');
    try {
      for (const text of [JSON.stringify, pgText]) {
        const line = rowsLine(rows, (v) => text(v).replace(/^\{/, '{"description":"first","title":"first title",'));
        const staged = rowsOf(parse(enc.encode(line + '\n')))[0]!;
        expect(staged).toMatchObject(expected(rows));
        for (const [i, doc] of docs(staged).entries()) {
          const row = rows[i]!.row as { description: string; title: string };
          expect(JSON.parse(doc)).toEqual(row);
          expect(db.prepare("SELECT json_extract(?, '$.description') AS d, json_extract(?, '$.title') AS s").get(doc, doc)).toEqual({ d: row.description, s: row.title });
        }
      }
    } finally {
      db.close();
    }
  });

  it('refuses what the whole-line path refuses, with its messages', () => {
    const begin = '{"t":"begin","scope":"district","checkpoint":{"epoch":"e","v":9},"totalRows":3,"tables":["events"]}';
    const good = rowsLine(rows);
    const refuse = (line: string) => () => parse(enc.encode(`${begin}\n${line}\n`));
    // a document that is not JSON, a cut line, trailing garbage
    expect(refuse(good.replace('"status":', '"status":}'))).toThrow(new MalformedError('snapshot line 2 is not JSON'));
    expect(refuse(good.slice(0, -5))).toThrow(new MalformedError('snapshot line 2 is not JSON'));
    expect(refuse(good + 'x')).toThrow(new MalformedError('snapshot line 2 is not JSON'));
    // versions that are not positive integers, a key that is not a string, an unknown table: the frame does not fit
    for (const bad of [good.replace('"v":4', '"v":0'), good.replace('"v":4', '"v":1.5'), good.replace('"v":4', '"v":"4"'), good.replace('"key":"ev-3"', '"key":3'), rowsLine(rows, JSON.stringify, 'nope')]) {
      expect(refuse(bad)).toThrow(/^snapshot line 2: /);
    }
    // a row the replica cannot index, in the first row: refused by its key
    const other = rowsLine([{ key: 'ev-x', v: 1, row: makeEvent('other') }, ...rows]);
    expect(refuse(other)).toThrow(new MalformedError('snapshot: events row "ev-x": id "other" differs from the key'));
    // … and when a later row does not fit the frame, the frame is refused first (as parsing the whole line does)
    expect(refuse(other.replace('"v":4', '"v":0'))).toThrow(/^snapshot line 2: /);
  });
});

describe('rows that carry their extracted columns ("c")', () => {
  const rows: Row[] = [
    { key: 'ev-1', v: 3, row: makeEvent('ev-1', { title: '井盖缺失 🚧 "q" \\', deadline: '2026-11-21T08:00:00.000Z' }) },
    { key: '事件-2', v: 9, row: { ...makeEvent('事件-2'), description: 'a\tb\nc' } },
    { key: 'ev-3', v: 4, row: makeEvent('ev-3', { status: 'dispatched' }) },
  ];
  const begin = (columns?: number) =>
    JSON.stringify({ t: 'begin', scope: 'district', checkpoint: { epoch: 'e', v: 9 }, totalRows: 3, tables: ['events'], ...(columns === undefined ? {} : { columns }) });
  /** a rows line whose rows carry `cols(row)` (undefined: no c), documents in PostgreSQL's layout */
  const colsLine = (cols: (r: Row) => unknown) =>
    `{"t":"rows","table":"events","rows":[${rows
      .map((r) => {
        const c = cols(r);
        return `{"key":${JSON.stringify(r.key)},"v":${r.v}${c === undefined ? '' : `,"c":${JSON.stringify(c)}`},"row":${pgText(r.row)}}`;
      })
      .join(',')}]}`;
  const staged = (text: string) => rowsOf(parse(enc.encode(text)))[0]!;
  const own = (r: Row) => extractRow('events', r.key, r.row).values;

  it('takes the columns of our version as sent and stores the document without parsing it', () => {
    // columns that are not what the document gives, and a document that is not even JSON: both taken as sent
    const marked = (r: Row) => own(r).map((v, i) => (i === 21 ? `${String(v)} (sent)` : v));
    const line = colsLine(marked).replace(pgText(rows[2]!.row), '{"not": json}');
    const s = staged(`${begin(EXTRACTION_VERSION)}\n${line}\n`);
    expect(s).toMatchObject({ keys: ['ev-1', '事件-2', 'ev-3'], vs: [3, 9, 4], values: rows.flatMap(marked), maxV: 9, maxVKey: '事件-2' });
    expect(docs(s)).toEqual([pgText(rows[0]!.row), pgText(rows[1]!.row), '{"not": json}']);
    // the same with a mix of rows with and without columns, for any chunking
    const mixed = enc.encode(`${begin(EXTRACTION_VERSION)}\n${colsLine((r) => (r.key === 'ev-3' ? undefined : own(r)))}\n`);
    const whole = rowsOf(parse(mixed))[0]!;
    expect(whole).toMatchObject(expected(rows));
    expect(docs(whole)).toEqual(rows.map((r) => pgText(r.row)));
    for (let at = 1; at < mixed.byteLength; at += 41) expect(rowsOf(parse(mixed, [at]))[0]).toEqual(whole);
  });

  it('ignores columns of another version or not announced: the documents are parsed and extracted', () => {
    const bogus = () => Array.from({ length: extractedColumns('events').length }, () => 'bogus');
    for (const head of [begin(EXTRACTION_VERSION + 1), begin(), null]) {
      const s = staged(`${head === null ? '' : head + '\n'}${colsLine(bogus)}\n`);
      expect(s).toMatchObject(expected(rows));
      expect(docs(s)).toEqual(rows.map((r) => pgText(r.row)));
    }
  });

  it('ignores columns of our version that were not asked for: a data center sending them unasked does not override the client', () => {
    const bogus = () => Array.from({ length: extractedColumns('events').length }, () => 'bogus');
    const bytes = enc.encode(`${begin(EXTRACTION_VERSION)}\n${colsLine(bogus)}\n`);
    const unasked = rowsOf(parse(bytes, [], false))[0]!;
    expect(unasked).toMatchObject(expected(rows));
    expect(docs(unasked)).toEqual(rows.map((r) => pgText(r.row)));
    // the same bytes, asked for: taken as sent
    expect(rowsOf(parse(bytes, [], true))[0]!.values).toEqual(rows.flatMap(bogus));
  });

  it('parses a line whole when a row’s columns do not have their shape (the whole-line path ignores every c)', () => {
    const width = extractedColumns('events').length;
    const shapes: ((r: Row) => unknown)[] = [
      (r) => own(r).slice(1), // too narrow
      (r) => [...own(r), null], // too wide
      (r) => own(r).map((v, i) => (i === 2 ? { n: v } : v)), // an object
      (r) => own(r).map((v, i) => (i === 2 ? [v] : v)), // an array
      (r) => own(r).map((v, i) => (i === 2 ? true : v)), // a boolean
      () => ({ length: width }),
    ];
    for (const shape of shapes) {
      const s = staged(`${begin(EXTRACTION_VERSION)}\n${colsLine((r) => (r.key === 'ev-3' ? shape(r) : own(r)))}\n`);
      expect(s).toMatchObject(expected(rows));
      // parsed whole: documents as JSON.stringify writes them
      expect(docs(s)).toEqual(rows.map((r) => JSON.stringify(r.row)));
    }
    // a number JSON.parse reads as Infinity
    const huge = colsLine((r) => own(r)).replace(/"c":\[("[^"]*")/, '"c":[1e400');
    expect(huge).toContain('1e400');
    expect(docs(staged(`${begin(EXTRACTION_VERSION)}\n${huge}\n`))).toEqual(rows.map((r) => JSON.stringify(r.row)));
  });
});
