/**
 * The image's answer and download (./image-http.ts): the headers are checked against what was asked before a byte
 * is written; the body lands in the file with a running byte count, through node:http and through fetch; a body
 * cut short, one longer than its Content-Length, or one that breaks is a cut download (UnavailableError).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IMAGE_CONTENT_TYPE, IMAGE_HEADERS } from '../../../core/sync/image';
import { MalformedError, UnavailableError } from './http';
import { imageAnswerOf, receiveImageBody } from './image-http';
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
