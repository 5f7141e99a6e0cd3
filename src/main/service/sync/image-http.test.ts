/**
 * The image's answer and download (./image-http.ts): the headers are checked against what was asked before a byte
 * is written; the body lands in the file with a running byte count, through node:http and through fetch; a body
 * cut short, one longer than its Content-Length, or one that breaks is a cut download (UnavailableError).
 */
import { createHash } from 'node:crypto';
import fs, { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IMAGE_CONTENT_TYPE, IMAGE_HEADERS } from '../../../core/sync/image';
import { MalformedError, UnavailableError } from './http';
import { IMAGE_FLUSH_BYTES, IMAGE_WRITE_BYTES, imageAnswerOf, receiveImageBody } from './image-http';
import { fetchSnapshotGet, nodeSnapshotGet, type SnapshotGet } from './snapshot-http';

const servers: http.Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'huying-image-http-'));
  dirs.push(d);
  return path.join(d, 'replica-image.download');
}

const SHA = 'ab'.repeat(32);
const asked = { scope: 'district', schema: '10-drop-unused-indexes' } as const;
const goodHeaders: Record<string, string> = {
  'content-type': IMAGE_CONTENT_TYPE,
  'content-length': '65536',
  [IMAGE_HEADERS.sha256]: SHA.toUpperCase(),
  [IMAGE_HEADERS.scope]: 'district',
  [IMAGE_HEADERS.cursor]: 'epoch:with:colons:42',
  [IMAGE_HEADERS.schema]: '10-drop-unused-indexes',
};
const headersOf = (h: Record<string, string>) => ({ get: (name: string) => h[name.toLowerCase()] ?? null });

describe('imageAnswerOf', () => {
  it('reads a 200 answer’s headers', () => {
    expect(imageAnswerOf(headersOf(goodHeaders), asked)).toEqual({
      bytes: 65536,
      sha256: SHA,
      scope: 'district',
      cursor: { epoch: 'epoch:with:colons', v: 42 },
      schema: '10-drop-unused-indexes',
    });
    expect(imageAnswerOf(headersOf({ ...goodHeaders, 'content-type': `${IMAGE_CONTENT_TYPE}; charset=binary` }), asked).bytes).toBe(65536);
  });

  it.each([
    ['content-type', 'application/json', /Content-Type application\/json/],
    ['content-type', undefined, /Content-Type missing/],
    ['content-length', undefined, /Content-Length missing/],
    ['content-length', '0', /Content-Length 0/],
    ['content-length', '12abc', /Content-Length 12abc/],
    [IMAGE_HEADERS.sha256, undefined, /sha256 missing/],
    [IMAGE_HEADERS.sha256, 'abc', /sha256 abc/],
    [IMAGE_HEADERS.scope, '440114001000', /asked for scope district, got 440114001000/],
    [IMAGE_HEADERS.cursor, undefined, /cursor missing is not/],
    [IMAGE_HEADERS.cursor, 'epoch-1', /cursor epoch-1 is not/],
    [IMAGE_HEADERS.cursor, 'epoch-1:-3', /cursor epoch-1:-3 is not/],
    [IMAGE_HEADERS.schema, '9-other', /asked for schema 10-drop-unused-indexes, got 9-other/],
  ])('refuses an answer whose %s is %s', (name, value, message) => {
    const h = { ...goodHeaders };
    if (value === undefined) delete h[name];
    else h[name] = value;
    const err = (() => {
      try {
        imageAnswerOf(headersOf(h), asked);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(MalformedError);
    expect((err as Error).message).toMatch(message);
  });
});

async function serve(handler: http.RequestListener): Promise<URL> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/sync/image?scope=district`);
}

const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251));

describe.each([
  ['node:http', nodeSnapshotGet],
  ['fetch', fetchSnapshotGet(globalThis.fetch)],
] as [string, SnapshotGet][])('receiveImageBody through %s', (_, get) => {
  const init = () => ({ headers: { accept: IMAGE_CONTENT_TYPE }, signal: new AbortController().signal });

  it('writes the body to the file, counting the bytes as they come, and returns the SHA-256 of what it wrote', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(body.length) });
      res.write(body.subarray(0, 70_000));
      setTimeout(() => res.end(body.subarray(70_000)), 20);
    });
    const res = await get(url, init());
    const file = tempFile();
    const counts: number[] = [];
    const sha256 = await receiveImageBody(res.body!, file, body.length, (n) => counts.push(n));
    expect(readFileSync(file).equals(body)).toBe(true);
    // hashed as the chunks passed: the file's own digest, without reading it again
    expect(sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(body.length);
  });

  it('flushes the file as it grows (a small threshold here), the file and its digest the same', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(body.length) });
      res.write(body.subarray(0, 70_000));
      setTimeout(() => res.end(body.subarray(70_000)), 20);
    });
    const res = await get(url, init());
    const file = tempFile();
    const sha256 = await receiveImageBody(res.body!, file, body.length, () => undefined, 16_384);
    expect(readFileSync(file).equals(body)).toBe(true);
    expect(sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('is a cut download when the connection drops before Content-Length', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(body.length) });
      res.write(body.subarray(0, 50_000));
      setTimeout(() => res.destroy(), 20);
    });
    const res = await get(url, init());
    const err = await receiveImageBody(res.body!, tempFile(), body.length, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/the image download broke after 50000 of 200000 bytes/);
  });

  it('is a cut download when the body is shorter or longer than expected', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE });
      res.end(body);
    });
    await expect(receiveImageBody((await get(url, init())).body!, tempFile(), body.length + 1, () => undefined)).rejects.toThrow(
      /ended after 200000 bytes, its Content-Length says 200001/,
    );
    await expect(receiveImageBody((await get(url, init())).body!, tempFile(), body.length - 1, () => undefined)).rejects.toThrow(UnavailableError);
  });
});

it('refuses a body longer than its Content-Length as soon as it goes past it, without writing the rest', async () => {
  const total = 4 * 2 ** 20;
  const { url, closed } = await serveSlowly(total, 32_768, 5);
  const file = tempFile();
  let received = 0;
  const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
  // told 100,000 bytes of a 4 MB body
  const err = await receiveImageBody(res.body!, file, 100_000, (n) => (received = n), IMAGE_FLUSH_BYTES, 65_536).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnavailableError);
  expect((err as Error).message).toMatch(/longer than its Content-Length 100000/);
  expect(received).toBeLessThanOrEqual(100_000);
  expect(statSync(file).size).toBeLessThanOrEqual(100_000);
  // the server sees its client go away
  await closed;
});

it('is a cut download when the file cannot be closed after the whole body (a delayed write error)', async () => {
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(body.length) });
    res.end(body);
  });
  const close = fs.close.bind(fs);
  vi.spyOn(fs, 'close').mockImplementation(((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
    close(fd, () => cb(Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' })))) as typeof fs.close);
  const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
  const err = await receiveImageBody(res.body!, tempFile(), body.length, () => undefined).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnavailableError);
  expect((err as Error).message).toMatch(/could not be closed after 200000 bytes: EIO/);
});

it('flushes through a descriptor open for writing (Windows refuses FlushFileBuffers on a read-only one)', async () => {
  // proves the flags asked for, not Windows' behaviour: POSIX fdatasync works with either
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(body.length) });
    res.write(body.subarray(0, 70_000));
    setTimeout(() => res.end(body.subarray(70_000)), 20);
  });
  const file = tempFile();
  const opened = vi.spyOn(fsp, 'open');
  const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
  await receiveImageBody(res.body!, file, body.length, () => undefined, 16_384);
  const flags = opened.mock.calls.filter(([f]) => f === file).map(([, flags]) => flags);
  expect(flags.length).toBeGreaterThan(0);
  expect(flags.every((f) => f === 'r+')).toBe(true);
});

it('stops the download as soon as a flush fails, not after the whole body', async () => {
  const total = 4 * 2 ** 20;
  const chunk = Buffer.alloc(32_768, 7);
  let sent = 0;
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(total) });
    // 32 KB every 5 ms: ~0.6 s for the whole body
    const timer = setInterval(() => {
      if (res.destroyed || sent >= total) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      sent += chunk.length;
      res.write(chunk);
    }, 5);
    res.on('close', () => clearInterval(timer));
  });
  const file = tempFile();
  vi.spyOn(fsp, 'open').mockRejectedValue(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
  let received = 0;
  const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
  const err = await receiveImageBody(res.body!, file, total, (n) => (received = n), 65_536).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnavailableError);
  expect((err as Error).message).toMatch(/ENOSPC: no space left on device/);
  // the first flush is due at 64 KB; a few chunks more may be in flight, not the rest of the 4 MB
  expect(received).toBeLessThan(total / 4);
});

it('does not write over a file that is there (the caller deletes a leftover first)', async () => {
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(body.length) });
    res.end(body);
  });
  const file = tempFile();
  writeFileSync(file, 'leftover');
  const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
  await expect(receiveImageBody(res.body!, file, body.length, () => undefined)).rejects.toThrow(/EEXIST/);
  expect(readFileSync(file, 'utf8')).toBe('leftover');
});

/** A server that sends `total` bytes (byte i is i % 251) in `chunk`-byte writes, one every `everyMs`. */
async function serveSlowly(total: number, chunk: number, everyMs: number): Promise<{ url: URL; closed: Promise<void> }> {
  let sent = 0;
  let onClose!: () => void;
  const closed = new Promise<void>((resolve) => (onClose = resolve));
  const url = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': IMAGE_CONTENT_TYPE, 'content-length': String(total) });
    res.on('close', onClose);
    const timer = setInterval(() => {
      if (res.destroyed || sent >= total) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      const n = Math.min(chunk, total - sent);
      res.write(Buffer.from(Array.from({ length: n }, (_, i) => (sent + i) % 251)));
      sent += n;
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  });
  return { url, closed };
}

const patterned = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

describe('receiveImageBody’s writes', () => {
  it('gathers the chunks and writes each batch once it holds writeBytes (the rest at the end)', async () => {
    const total = 300_000;
    const { url } = await serveSlowly(total, 10_000, 1);
    const writes: number[] = [];
    const writev = fs.writev.bind(fs);
    vi.spyOn(fs, 'writev').mockImplementation(((fd: number, bufs: NodeJS.ArrayBufferView[], cb: never) => {
      writes.push(bufs.reduce((n, b) => n + b.byteLength, 0));
      return writev(fd, bufs, cb);
    }) as typeof fs.writev);
    const file = tempFile();
    const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
    const sha256 = await receiveImageBody(res.body!, file, total, () => undefined, IMAGE_FLUSH_BYTES, 64_000);
    expect(readFileSync(file).equals(patterned(total))).toBe(true);
    expect(sha256).toBe(createHash('sha256').update(patterned(total)).digest('hex'));
    expect(writes.reduce((a, b) => a + b, 0)).toBe(total);
    // every batch but the last reached 64,000 bytes, and went no further than the chunk that reached it
    for (const n of writes.slice(0, -1)) expect(n).toBeGreaterThanOrEqual(64_000);
    for (const n of writes.slice(0, -1)) expect(n).toBeLessThan(64_000 + 65_536);
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(total / 64_000));
    expect(writes.length).toBeGreaterThanOrEqual(2);
  });

  it('writes no more than a flush’s worth at once, and the default batch is smaller than the default flush', async () => {
    expect(IMAGE_WRITE_BYTES).toBeLessThan(IMAGE_FLUSH_BYTES);
    const total = 200_000;
    const { url } = await serveSlowly(total, 8_192, 1);
    const writes: number[] = [];
    const writev = fs.writev.bind(fs);
    vi.spyOn(fs, 'writev').mockImplementation(((fd: number, bufs: NodeJS.ArrayBufferView[], cb: never) => {
      writes.push(bufs.reduce((n, b) => n + b.byteLength, 0));
      return writev(fd, bufs, cb);
    }) as typeof fs.writev);
    const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
    const file = tempFile();
    await receiveImageBody(res.body!, file, total, () => undefined, 32_768);
    expect(readFileSync(file).equals(patterned(total))).toBe(true);
    for (const n of writes.slice(0, -1)) expect(n).toBeLessThan(32_768 + 65_536);
    expect(writes.length).toBeGreaterThanOrEqual(4);
  });

  it('reads no further while a write is in flight and the next batch is full (memory stays bounded on a slow disk)', async () => {
    const total = 8 * 2 ** 20;
    const { url, closed } = await serveSlowly(total, 65_536, 0);
    const held: (() => void)[] = [];
    const writev = fs.writev.bind(fs);
    // the disk "hangs": each write's completion waits until released
    vi.spyOn(fs, 'writev').mockImplementation(((fd: number, bufs: NodeJS.ArrayBufferView[], cb: (...args: unknown[]) => void) =>
      writev(fd, bufs, (...args: unknown[]) => held.push(() => cb(...args)))) as typeof fs.writev);
    let received = 0;
    const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
    const file = tempFile();
    const done = receiveImageBody(res.body!, file, total, (n) => (received = n), IMAGE_FLUSH_BYTES, 256 * 1024);
    await vi.waitFor(() => expect(held.length).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whileHeld = received;
    await new Promise((resolve) => setTimeout(resolve, 200));
    // nothing more read while the write hangs: one batch in the write, one gathered (each < 256 KB + a chunk) —
    // the rest waits in the socket's buffers and the server's, not in this process's memory
    expect(received).toBe(whileHeld);
    expect(received).toBeLessThanOrEqual(2 * (256 * 1024 + 65_536));
    expect(held.length).toBe(1);
    // the disk comes back: the rest flows
    const release = setInterval(() => held.splice(0).forEach((f) => f()), 1);
    try {
      await done;
    } finally {
      clearInterval(release);
    }
    expect(received).toBe(total);
    expect(readFileSync(file).equals(patterned(total))).toBe(true);
    await closed;
  });

  it('stops the download as soon as a write fails, and closes the body', async () => {
    const total = 4 * 2 ** 20;
    const { url, closed } = await serveSlowly(total, 32_768, 5);
    let writes = 0;
    const writev = fs.writev.bind(fs);
    vi.spyOn(fs, 'writev').mockImplementation(((fd: number, bufs: NodeJS.ArrayBufferView[], cb: (...args: unknown[]) => void) => {
      if (++writes < 3) return writev(fd, bufs, cb);
      setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })));
    }) as typeof fs.writev);
    let received = 0;
    const res = await nodeSnapshotGet(url, { headers: {}, signal: new AbortController().signal });
    const err = await receiveImageBody(res.body!, tempFile(), total, (n) => (received = n), IMAGE_FLUSH_BYTES, 65_536).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/EIO: i\/o error/);
    expect(received).toBeLessThan(total / 4);
    // the server sees its client go away
    await closed;
  });

  it.each([
    ['node:http', nodeSnapshotGet],
    ['fetch', fetchSnapshotGet(globalThis.fetch)],
  ] as [string, SnapshotGet][])('rejects promptly when the request is aborted mid-body (%s)', async (_, get) => {
    const total = 16 * 2 ** 20;
    const { url, closed } = await serveSlowly(total, 32_768, 5);
    const abort = new AbortController();
    const res = await get(url, { headers: {}, signal: abort.signal });
    let received = 0;
    const done = receiveImageBody(res.body!, tempFile(), total, (n) => (received = n), IMAGE_FLUSH_BYTES, 65_536).catch((e: unknown) => e);
    await vi.waitFor(() => expect(received).toBeGreaterThan(200_000));
    const t0 = performance.now();
    abort.abort(new Error('the sync client stopped'));
    const err = await done;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(received).toBeLessThan(total / 2);
    await closed;
  });
});
