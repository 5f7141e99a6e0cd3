import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { statusError, UnavailableError } from './http';
import { fetchSnapshotGet, nodeSnapshotGet, type SnapshotGet, type SnapshotResponse } from './snapshot-http';
import { readSnapshotStream } from './snapshot-stream';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: http.RequestListener): Promise<URL> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/sync/snapshot?scope=district`);
}

const init = (signal = new AbortController().signal) => ({ headers: { accept: 'application/x-ndjson', authorization: 'Bearer t' }, signal });

const frames = [
  '{"t":"begin","scope":"district","epoch":"e","checkpoint":{"epoch":"e","v":0},"totalRows":0,"tables":[]}',
  '{"t":"end","checkpoint":{"epoch":"e","v":0},"checksum":{"checkpoint":{"epoch":"e","v":0},"tables":{}}}',
];

describe.each([
  ['node:http', nodeSnapshotGet],
  ['fetch', fetchSnapshotGet(globalThis.fetch)],
] as [string, SnapshotGet][])('the snapshot GET through %s', (_, get) => {
  it('sends the headers and streams the body in chunks to readSnapshotStream', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const url = await serve((req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // the first frame split across writes: the reader joins the chunks
      res.write(frames[0]!.slice(0, 20));
      setTimeout(() => res.end(`${frames[0]!.slice(20)}\n${frames[1]}\n`), 20);
    });
    const res = await get(url, init());
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.headers.get('Content-Type')).toBe('application/x-ndjson');
    expect(seen).toMatchObject({ accept: 'application/x-ndjson', authorization: 'Bearer t' });
    const got: string[] = [];
    const result = await readSnapshotStream(res.body!, (f) => (got.push(f.t), f.t === 'end' ? 'stop' : undefined), { parser: 'inline', askedForColumns: false });
    expect(got).toEqual(['begin', 'end']);
    expect(result).toMatchObject({ ended: true, parser: 'inline' });
  });

  it('answers an error status with its headers and body (503 with Retry-After)', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ error: { message: 'too many snapshot exports at once' } }));
    });
    const res = await get(url, init());
    expect(res).toMatchObject({ ok: false, status: 503 });
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('x-none')).toBeNull();
    const err = await statusError(res, url.pathname);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ status: 503, retryAfterMs: 5000, message: 'HTTP 503 from /api/v1/sync/snapshot: too many snapshot exports at once' });
  });

  it('rejects with the abort reason when aborted before the answer', async () => {
    const url = await serve(() => undefined); // never answers
    const abort = new AbortController();
    const pending = get(url, init(abort.signal));
    const reason = new UnavailableError('timed out opening /api/v1/sync/snapshot');
    setTimeout(() => abort.abort(reason), 30);
    await expect(pending).rejects.toBe(reason);
  });

  it('fails a pending body read when aborted after the answer', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${frames[0]}\n`); // then nothing more
    });
    const abort = new AbortController();
    const res: SnapshotResponse = await get(url, init(abort.signal));
    const got: string[] = [];
    const reading = readSnapshotStream(res.body!, (f) => void got.push(f.t), { parser: 'inline', askedForColumns: false });
    await new Promise((r) => setTimeout(r, 50));
    abort.abort(new Error('scope changed'));
    await expect(reading).rejects.toThrow(/the snapshot stream broke after \d+ bytes/);
    expect(got).toEqual(['begin']);
  });
});

describe('nodeSnapshotGet', () => {
  it('rejects like fetch when nothing listens, with the system error as its cause', async () => {
    const url = await serve(() => undefined);
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const err = (await nodeSnapshotGet(url, init()).catch((e: unknown) => e)) as Error & { cause?: { code?: string } };
    expect(err).toBeInstanceOf(TypeError);
    expect(err.cause?.code).toBe('ECONNREFUSED');
  });

  it('rejects at once when the signal is already aborted', async () => {
    const abort = new AbortController();
    abort.abort(new Error('stopped'));
    await expect(nodeSnapshotGet(new URL('http://127.0.0.1:9/'), init(abort.signal))).rejects.toThrow('stopped');
  });
});
