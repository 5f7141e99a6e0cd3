/**
 * The snapshot reader (src/main/service/sync/snapshot-stream.ts) on this
 * thread and in its parser worker: the same frames and extracted rows from
 * the same bytes however they are chunked, the same refusals (a line that is
 * not JSON, a frame that does not fit, a row the replica cannot index), a
 * cut-off body, 'auto' choosing by the begin frame's row count, and the
 * bound on bytes handed to the worker while the service's thread lags behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotFrame } from '../../../src/core/index';
import { EXTRACTION_VERSION } from '../../../src/core/sync/extraction';
import { extractRow, stagedDoc } from '../../../src/main/service/store/replicated-rows';
import { MalformedError } from '../../../src/main/service/sync/http';
import { PARSER_WORKER_MIN_ROWS, readSnapshotStream, type ParsedFrame } from '../../../src/main/service/sync/snapshot-stream';
import { startFakeFeed } from './fake-feed-server';
import { eventChange, makeEvent, referenceChanges, replicaRows, serviceOn, sorted, tempDir, TOWN_A, TOWN_B } from './feed-fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const enc = new TextEncoder();

function ndjson(frames: unknown[]): Uint8Array {
  return enc.encode(frames.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\n') + '\n');
}

/** A body of these bytes in chunks of `chunk` bytes, counting what was pulled. */
function body(bytes: Uint8Array, chunk: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (at >= bytes.byteLength) return c.close();
        c.enqueue(bytes.slice(at, at + chunk));
        at += chunk;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => Math.min(at, bytes.byteLength) };
}

function snapshot(events: number, opts: { totalRows?: number; pageRows?: number } = {}): { frames: SnapshotFrame[]; rows: { key: string; v: number; row: unknown }[] } {
  const rows = Array.from({ length: events }, (_, i) => ({ key: `ev${i}`, v: i + 1, row: makeEvent(`ev${i}`, { title: `井盖${i}` }) }));
  const checkpoint = { epoch: 'e1', v: events + 1 };
  const frames: SnapshotFrame[] = [{ t: 'begin', scope: 'district', checkpoint, totalRows: opts.totalRows ?? events, tables: ['events'] }];
  const page = opts.pageRows ?? 7;
  for (let i = 0; i < rows.length; i += page) frames.push({ t: 'rows', table: 'events', rows: rows.slice(i, i + page) });
  frames.push({ t: 'end', checkpoint, checksum: { checkpoint, tables: { events: { count: events, sumV: (events * (events + 1)) / 2 } } } });
  return { frames, rows };
}

async function read(bytes: Uint8Array, parser: 'inline' | 'worker' | 'auto', chunk = 1000, onFrame?: (f: ParsedFrame) => void) {
  const got: { frame: ParsedFrame; at: number }[] = [];
  const { stream } = body(bytes, chunk);
  const result = await readSnapshotStream(
    stream,
    (frame, at) => {
      got.push({ frame, at });
      onFrame?.(frame);
      return frame.t === 'end' ? 'stop' : undefined;
    },
    { parser, askedForColumns: true },
  );
  return { got, result };
}

describe.each(['inline', 'worker'] as const)('the snapshot reader (%s)', (parser) => {
  it('hands over every frame with its rows extracted as the staging inserts bind them', async () => {
    const { frames, rows } = snapshot(40);
    const bytes = ndjson(frames);
    const { got, result } = await read(bytes, parser, 777);
    expect(result).toEqual({ ended: true, bytes: bytes.byteLength, parser });
    expect(got.map((g) => g.frame.t)).toEqual(frames.map((f) => f.t));
    const staged = got.flatMap((g) => (g.frame.t === 'rows' ? [g.frame.rows] : []));
    expect(staged.flatMap((s) => s.keys)).toEqual(rows.map((r) => r.key));
    expect(staged.flatMap((s) => s.vs)).toEqual(rows.map((r) => r.v));
    const want = rows.map((r) => extractRow('events', r.key, r.row));
    expect(staged.flatMap((s) => s.keys.map((_, i) => stagedDoc(s, i)))).toEqual(want.map((w) => w.doc));
    expect(staged.flatMap((s) => s.values)).toEqual(want.flatMap((w) => w.values));
    expect(staged.map((s) => s.maxV)).toEqual(staged.map((s) => Math.max(...s.vs)));
    // each frame comes with the offset just past its line; the last one is the whole body
    expect(got.at(-1)!.at).toBe(bytes.byteLength);
    expect(got.map((g) => g.at)).toEqual([...got.map((g) => g.at)].sort((a, b) => a - b));
  });

  it("takes the rows' extracted columns only when the request asked for them", async () => {
    const { frames, rows } = snapshot(12);
    const width = extractRow('events', rows[0]!.key, rows[0]!.row).values.length;
    const bogus = Array.from({ length: width }, () => 'bogus');
    // the begin frame names our extraction version and every row carries columns that are not its document's
    const withColumns = frames.map((f) =>
      f.t === 'begin' ? { ...f, columns: EXTRACTION_VERSION } : f.t === 'rows' ? { ...f, rows: f.rows.map((r) => ({ key: r.key, v: r.v, c: bogus, row: r.row })) } : f,
    );
    const valuesRead = async (askedForColumns: boolean) => {
      const values: unknown[] = [];
      await readSnapshotStream(
        body(ndjson(withColumns), 500).stream,
        (frame) => {
          if (frame.t === 'rows') values.push(...frame.rows.values);
          return frame.t === 'end' ? 'stop' : undefined;
        },
        { parser, askedForColumns },
      );
      return values;
    };
    expect(await valuesRead(true)).toEqual(rows.flatMap(() => bogus));
    expect(await valuesRead(false)).toEqual(rows.flatMap((r) => extractRow('events', r.key, r.row).values));
  });

  it('refuses a line that is not JSON, a frame that does not fit and a row the replica cannot index', async () => {
    const { frames } = snapshot(10);
    const notJson = ndjson([frames[0], frames[1], '{"t":"rows","table":"events","rows":[', frames.at(-1)]);
    await expect(read(notJson, parser)).rejects.toThrow(new MalformedError('snapshot line 3 is not JSON'));

    const badFrame = ndjson([frames[0], { t: 'rows', table: 'events', rows: [{ key: 'x', v: -1, row: {} }] }, frames.at(-1)]);
    await expect(read(badFrame, parser)).rejects.toThrow(/^snapshot line 2: /);

    const other = makeEvent('other');
    const badRow = ndjson([frames[0], frames[1], { t: 'rows', table: 'events', rows: [{ key: 'ev99', v: 3, row: other }] }, frames.at(-1)]);
    const seen: string[] = [];
    await expect(read(badRow, parser, 1000, (f) => seen.push(f.t))).rejects.toThrow(new MalformedError('snapshot: events row "ev99": id "other" differs from the key'));
    // the frames before the bad one were handed over, nothing after it
    expect(seen).toEqual(['begin', 'rows']);
  });

  it('reads non-ASCII text the same whether a rows line is taken from its bytes as latin1 or decoded from UTF-8', async () => {
    const { frames } = snapshot(3);
    const ev = (key: string, title: string, address: string) => ({ ...makeEvent(key, { title }), address, description: 'a\u0001b\nc' });
    const rows = [
      { key: '事件-1', v: 1, row: ev('事件-1', '路面破损 🚧', 'Rue de l’Église') },
      { key: 'e-2', v: 2, row: ev('e-2', 'plain', 'Café') },
    ];
    const line = JSON.stringify({ t: 'rows', table: 'events', rows });
    // the same rows with \u escapes of non-ASCII characters (decoded from UTF-8), with a lone invalid byte (idem), and as is (latin1)
    const escaped = line.replace('Café', 'Caf\\u00e9').replace('🚧', '\\ud83d\\udea7');
    expect(JSON.parse(escaped)).toEqual(JSON.parse(line));
    const invalid = Buffer.concat([Buffer.from(line.replace('plain', 'pl')), Buffer.from('\n')]);
    const at = invalid.indexOf('"pl"') + 3;
    const broken = Buffer.concat([invalid.subarray(0, at), Buffer.from([0xff]), invalid.subarray(at)]);
    const bytes = Buffer.concat([Buffer.from([JSON.stringify(frames[0]), line, escaped, ''].join('\n')), broken, Buffer.from(JSON.stringify(frames.at(-1)) + '\n')]);
    const { got } = await read(bytes, parser, 100);
    const staged = got.flatMap((g) => (g.frame.t === 'rows' ? [g.frame.rows] : []));
    expect(staged).toHaveLength(3);
    const brokenRows = (JSON.parse(new TextDecoder().decode(broken)) as { rows: typeof rows }).rows;
    expect(brokenRows[1]!.row.title).toBe('pl\ufffd');
    for (const [k, s] of staged.entries()) {
      const want = (k === 2 ? brokenRows : rows).map((r) => extractRow('events', r.key, r.row));
      expect(s.keys).toEqual(rows.map((r) => r.key));
      expect(s.keys.map((_, i) => stagedDoc(s, i))).toEqual(want.map((w) => w.doc));
      expect(s.values).toEqual(want.flatMap((w) => w.values));
      expect(s.maxVKey).toBe('e-2');
    }
    const bad = JSON.stringify({ t: 'rows', table: 'events', rows: [{ key: '坏', v: 1, row: makeEvent('另一个') }] });
    await expect(read(Buffer.from([JSON.stringify(frames[0]), bad, ''].join('\n')), parser)).rejects.toThrow(new MalformedError('snapshot: events row "坏": id "另一个" differs from the key'));
  });

  it('parses times with non-ASCII characters as UTF-8 decoding gives them, on a line read as latin1 too', async () => {
    const { frames } = snapshot(1);
    // Date.parse takes '… 10:00' + NBSP (U+00A0) and refuses 'à…'; read as latin1 they would be 'Â' + NBSP and 'Ã' + NBSP
    const row = makeEvent('t-1', { deadline: '2026-11-21T08:00:00.000Z' }) as ReturnType<typeof makeEvent> & { createdAt: string };
    row.createdAt = '2026-11-20 10:00\u00a0';
    const clock = (row.workflow.clocks as { baseDeadline: string }[])[0]!;
    clock.baseDeadline = 'à2026-11-21 08:00';
    const rows = [{ key: 't-1', v: 1, row }];
    const want = extractRow('events', 't-1', row);
    const bytes = ndjson([frames[0], { t: 'rows', table: 'events', rows }, frames.at(-1)]);
    const { got } = await read(bytes, parser, 100);
    const staged = got.flatMap((g) => (g.frame.t === 'rows' ? [g.frame.rows] : []));
    expect(staged[0]!.values).toEqual(want.values);
  });

  it('says a body that stops between lines before its end frame did not end; one cut inside a line is malformed', async () => {
    const { frames } = snapshot(20);
    const { got, result } = await read(ndjson(frames.slice(0, -1)), parser, 512);
    expect(result.ended).toBe(false);
    expect(got.at(-1)!.frame.t).toBe('rows');
    const whole = ndjson(frames);
    await expect(read(whole.subarray(0, whole.byteLength - 40), parser, 512)).rejects.toThrow(new MalformedError(`snapshot line ${frames.length} is not JSON`));
  });
});

describe('the snapshot reader', () => {
  it("'auto' parses in the worker only when the begin frame announces many rows", async () => {
    expect((await read(ndjson(snapshot(5).frames), 'auto')).result.parser).toBe('inline');
    const many = await read(ndjson(snapshot(5, { totalRows: PARSER_WORKER_MIN_ROWS }).frames), 'auto', 300);
    expect(many.result).toMatchObject({ ended: true, parser: 'worker' });
    expect(many.got.map((g) => g.frame.t)).toEqual(['begin', 'rows', 'end']);
  });

  it('stops reading the body while the frames handed to the worker wait for the service thread', async () => {
    // ~1.2 MB of frames; the service thread takes 30 ms per frame, the body could be read at once
    const { frames } = snapshot(700, { pageRows: 20 });
    const bytes = ndjson(frames);
    const { stream, pulled } = body(bytes, 16_384);
    const maxInFlight = 64 * 1024;
    let worst = 0;
    const result = await readSnapshotStream(
      stream,
      (frame, at) => {
        const until = performance.now() + 30;
        while (performance.now() < until);
        worst = Math.max(worst, pulled() - at);
        return frame.t === 'end' ? 'stop' : undefined;
      },
      { parser: 'worker', maxBytesInFlight: maxInFlight, askedForColumns: true },
    );
    expect(result.ended).toBe(true);
    expect(bytes.byteLength).toBeGreaterThan(10 * maxInFlight);
    // at most the bound plus the chunk read just before the wait and a frame being parsed
    expect(worst).toBeLessThanOrEqual(maxInFlight + 16_384 + 2 * 70_000);
    expect(worst).toBeGreaterThan(0);
  });
});

describe('the snapshot reader, a line longer than the bytes-in-flight bound', () => {
  it('reads on until the line ends instead of waiting for a frame the worker cannot finish', async () => {
    // frames of 20 events (~35 KB) against a 4 KB bound, in 1 KB chunks: each line is in flight whole before its frame exists
    const { frames } = snapshot(60, { pageRows: 20 });
    const bytes = ndjson(frames);
    const { stream } = body(bytes, 1000);
    const got: string[] = [];
    const result = await Promise.race([
      readSnapshotStream(stream, (frame) => (got.push(frame.t), frame.t === 'end' ? 'stop' : undefined), { parser: 'worker', maxBytesInFlight: 4096, askedForColumns: true }),
      new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 3000).unref()),
    ]);
    expect(result).toMatchObject({ ended: true, parser: 'worker' });
    expect(got).toEqual(['begin', 'rows', 'rows', 'rows', 'end']);
  });
});

describe('a data service parsing its snapshots in the worker', () => {
  it('builds the replica the feed holds, and refuses a snapshot with a row it cannot index, the replica left as it was', async () => {
    const f = await startFakeFeed({ pageRows: 9 });
    cleanups.push(() => f.close());
    f.commit(referenceChanges());
    f.commit(Array.from({ length: 40 }, (_, i) => eventChange(makeEvent(`e${i}`, { town: i % 2 ? TOWN_A : TOWN_B }))));
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { sync: { snapshotParser: 'worker' } });
    expect(await h.svc.syncNow()).toBe('live');
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(h.log.entries.find((e) => e.msg === 'snapshot applied')?.obj).toMatchObject({ parser: 'worker', rows: f.rowsOf('district').size });
    // the documents went to SQLite as UTF-8 bytes (CAST(? AS TEXT)): stored as text, the same as a live upsert's
    const db = h.svc.replica.sqlite;
    for (const t of ['events_doc', 'areas', 'grids']) {
      const { n, text } = db.prepare(`SELECT count(*) AS n, sum(typeof(doc) = 'text') AS text FROM ${t}`).get() as { n: number; text: number };
      expect(n).toBeGreaterThan(0);
      expect(text).toBe(n);
    }
    const before = sorted(replicaRows(h.svc));
    const cursor = h.svc.syncStatus().cursor;

    // a row the replica cannot index (its id is not its key), then a restored backup: the reconnect re-snapshots
    f.commit([{ table: 'events', key: 'bad', row: makeEvent('other'), scope: TOWN_A }]);
    f.newEpoch('epoch-2');
    await expect
      .poll(() => h.log.entries.some((e) => e.level === 'error' && String((e.obj as { reason?: unknown }).reason).includes('snapshot: events row "bad": id "other" differs from the key')), { timeout: 15_000 })
      .toBe(true);
    expect(f.hits.get('/api/v1/sync/snapshot')).toBeGreaterThanOrEqual(2);
    expect(h.svc.syncStatus().cursor).toEqual(cursor);
    expect(sorted(replicaRows(h.svc))).toEqual(before);
  });
});
