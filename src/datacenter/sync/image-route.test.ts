/**
 * GET /api/v1/sync/image through a real listening data center on PGlite: the file a manifest names, streamed
 * with its length and the contract's headers; every way an image is not servable (no keeper folder, no
 * manifest, one of another schema or page size, one that does not parse, another epoch, older than the change
 * log's floor, beyond the head, its file missing or of another length) answered 404 no_image; the auth of the
 * snapshot (401, 403 for a town account asking for the district) and 400 for a bad query; and a download the
 * keeper replaces and deletes the file of halfway still receives the whole file it started; a client that stops
 * reading is cut after the snapshot's stall timeout (the file's descriptor closed), one that pauses for less is not.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcErrorSchema, type Actor, type Cursor } from '../../core';
import { IMAGE_CONTENT_TYPE, IMAGE_HEADERS, imageManifestName, type ImageManifest } from '../../core/sync/image';
import { startDataCenter, type DataCenter } from '../server';
import { openDatabase, type DataCenterDb } from '../store/database';
import { IMAGE_READ_BYTES } from './image-route';
import { pruneChangeLog, readSyncHead } from './state';
import { writeReplicated } from './write';

const DISTRICT = '440114';
const T1 = '440114001000';
const SCHEMA = '10-drop-unused-indexes';
const admin: Actor = { id: 'admin-1', name: 'Admin', role: 'admin', organisationId: `district-${DISTRICT}`, scope: { level: 'district', code: DISTRICT } };
const townOfficer: Actor = { id: 'duty-t1', name: 'T1', role: 'duty_officer', organisationId: `town-${T1}`, scope: { level: 'town', code: T1 } };
/** the test's auth seam: `x-actor: admin | t1` */
const actorOf = (request: { headers: Record<string, string | string[] | undefined> }): Actor | null =>
  request.headers['x-actor'] === 'admin' ? admin : request.headers['x-actor'] === 't1' ? townOfficer : null;

let store: DataCenterDb;
let dc: DataCenter;
let noKeeper: DataCenter;
/** the same folder, with a stall timeout of STALL_MS */
let stalling: DataCenter;
const STALL_MS = 300;
let dir: string;

const query = (scope = 'district', schema = SCHEMA, pageSize = 16384) => `/api/v1/sync/image?scope=${scope}&schema=${schema}&pageSize=${pageSize}`;
const get = (url: string, q: string, actor: string | null = 'admin') => fetch(`${url}${q}`, { headers: actor ? { 'x-actor': actor } : {} });

/** Writes an image file and its manifest as a keeper does (whole files); returns the manifest. */
function publish(scope: string, bytes: Buffer, cursor: Cursor, over: Partial<ImageManifest> = {}): ImageManifest {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = `${scope}-${cursor.v}-${sha256.slice(0, 12)}.sqlite`;
  writeFileSync(path.join(dir, file), bytes);
  const manifest: ImageManifest = { format: 1, scope, schema: SCHEMA, pageSize: 16384, file, bytes: bytes.length, sha256, cursor, builtAt: new Date().toISOString(), ...over };
  writeFileSync(path.join(dir, imageManifestName(scope)), JSON.stringify(manifest));
  return manifest;
}

async function noImage(res: Response): Promise<string> {
  expect(res.status).toBe(404);
  const error = RpcErrorSchema.parse(((await res.json()) as { error: unknown }).error);
  expect(error.code).toBe('not_found');
  expect(error.details).toMatchObject({ reason: 'no_image' });
  return (error.details as { why: string }).why;
}

async function writeSome(n: number): Promise<void> {
  await writeReplicated(store.db, async (_tx, out) => {
    for (let i = 0; i < n; i++) out.upsert('events', `e${randomBytes(4).toString('hex')}`, T1, { id: i });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-image-route-'));
  store = await openDatabase({});
  const app = { actorOf, sync: { hub: { pollMs: 50, retentionMs: null } } };
  dc = await startDataCenter({ database: store, port: 0, seed: null, images: dir, app });
  noKeeper = await startDataCenter({ database: store, port: 0, seed: null, app });
  stalling = await startDataCenter({ database: store, port: 0, seed: null, images: dir, app: { ...app, sync: { ...app.sync, snapshot: { stallTimeoutMs: STALL_MS } } } });
  await writeSome(3);
});

afterAll(async () => {
  await dc?.close();
  await noKeeper?.close();
  await stalling?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/sync/image', () => {
  it('serves the file the manifest names: its exact bytes, its length, type and the image headers', async () => {
    const head = await readSyncHead(store.db);
    const bytes = randomBytes(100_000);
    const m = publish('district', bytes, { epoch: head.epoch, v: head.v });
    const res = await get(dc.url, query());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(IMAGE_CONTENT_TYPE);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get(IMAGE_HEADERS.sha256)).toBe(m.sha256);
    expect(res.headers.get(IMAGE_HEADERS.scope)).toBe('district');
    expect(res.headers.get(IMAGE_HEADERS.cursor)).toBe(`${head.epoch}:${head.v}`);
    expect(res.headers.get(IMAGE_HEADERS.schema)).toBe(SCHEMA);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    // HEAD: the same headers, no body
    const head2 = await fetch(`${dc.url}${query()}`, { method: 'HEAD', headers: { 'x-actor': 'admin' } });
    expect(head2.status).toBe(200);
    expect(head2.headers.get('content-length')).toBe(String(bytes.length));
    expect(head2.headers.get(IMAGE_HEADERS.sha256)).toBe(m.sha256);
    expect((await head2.arrayBuffer()).byteLength).toBe(0);
    // a town's image, for the town's officer
    const t1 = publish(T1, randomBytes(512), { epoch: head.epoch, v: head.v });
    const own = await get(dc.url, query(T1), 't1');
    expect(own.status).toBe(200);
    expect(own.headers.get(IMAGE_HEADERS.sha256)).toBe(t1.sha256);
    await own.arrayBuffer();
  });

  it('serves a file of several reads and a part byte for byte', async () => {
    const head = await readSyncHead(store.db);
    const bytes = randomBytes(2 * IMAGE_READ_BYTES + 12_345);
    const m = publish('district', bytes, { epoch: head.epoch, v: head.v });
    const res = await get(dc.url, query());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(bytes.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(m.sha256);
  });

  it('refuses without an actor (401), a town account asking for the district (403), a bad query (400)', async () => {
    const unauthenticated = await get(dc.url, query(), null);
    expect(unauthenticated.status).toBe(401);
    expect(RpcErrorSchema.parse(((await unauthenticated.json()) as { error: unknown }).error).code).toBe('unauthenticated');
    const forbidden = await get(dc.url, query('district'), 't1');
    expect(forbidden.status).toBe(403);
    expect(RpcErrorSchema.parse(((await forbidden.json()) as { error: unknown }).error).code).toBe('forbidden');
    for (const q of [query('town'), query('district', '../x'), query('district', SCHEMA, 1000), '/api/v1/sync/image?scope=district']) {
      const res = await get(dc.url, q);
      expect(res.status, q).toBe(400);
      expect(RpcErrorSchema.parse(((await res.json()) as { error: unknown }).error).code).toBe('invalid_args');
    }
  });

  it('is 404 no_image without a keeper folder, a manifest, or one of the schema and page size asked for', async () => {
    expect(await noImage(await get(noKeeper.url, query()))).toBe('no_keeper');
    expect(await noImage(await get(dc.url, query('440114009000')))).toBe('no_manifest');
    expect(await noImage(await get(dc.url, query('district', '11-a-later-migration')))).toBe('schema');
    expect(await noImage(await get(dc.url, query('district', SCHEMA, 4096)))).toBe('page_size');
  });

  it('is 404 for a manifest that does not parse or names another scope', async () => {
    const head = await readSyncHead(store.db);
    writeFileSync(path.join(dir, imageManifestName('district')), '{"format":1,');
    expect(await noImage(await get(dc.url, query()))).toBe('bad_manifest');
    const m = publish('district', randomBytes(1000), { epoch: head.epoch, v: head.v });
    writeFileSync(path.join(dir, imageManifestName('district')), JSON.stringify({ ...m, file: '../outside.sqlite' }));
    expect(await noImage(await get(dc.url, query()))).toBe('bad_manifest');
    writeFileSync(path.join(dir, imageManifestName('district')), JSON.stringify({ ...m, scope: T1 }));
    expect(await noImage(await get(dc.url, query()))).toBe('bad_manifest');
  });

  it('is 404 for an image whose tail could not continue: another epoch, older than the floor, beyond the head', async () => {
    const head = await readSyncHead(store.db);
    publish('district', randomBytes(1000), { epoch: 'an-older-epoch', v: head.v });
    expect(await noImage(await get(dc.url, query()))).toBe('epoch');
    publish('district', randomBytes(1000), { epoch: head.epoch, v: head.v + 5 });
    expect(await noImage(await get(dc.url, query()))).toBe('ahead');
    // the image at the head is served; once the change log is pruned past it, it is not
    publish('district', randomBytes(1000), { epoch: head.epoch, v: head.v });
    expect((await get(dc.url, query())).status).toBe(200);
    await writeSome(2);
    await pruneChangeLog(store.db, { throughV: head.v + 1 });
    expect(await noImage(await get(dc.url, query()))).toBe('expired');
    const after = await readSyncHead(store.db);
    publish('district', randomBytes(1000), { epoch: after.epoch, v: after.v });
    expect((await get(dc.url, query())).status).toBe(200);
  });

  it('is 404 when the manifest names a missing file or one of another length', async () => {
    const head = await readSyncHead(store.db);
    const m = publish('district', randomBytes(2000), { epoch: head.epoch, v: head.v });
    writeFileSync(path.join(dir, m.file), randomBytes(1999));
    expect(await noImage(await get(dc.url, query()))).toBe('length');
    unlinkSync(path.join(dir, m.file));
    expect(await noImage(await get(dc.url, query()))).toBe('no_file');
  });

  it('finishes a download whose file the keeper replaced and deleted halfway', async () => {
    const head = await readSyncHead(store.db);
    const first = randomBytes(24 * 1024 * 1024);
    const m = publish('district', first, { epoch: head.epoch, v: head.v });
    const res = await get(dc.url, query());
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    const firstChunk = await reader.read();
    chunks.push(firstChunk.value!);
    // the keeper publishes a newer image: a new file renamed over the old name, then the old one deleted
    mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    writeFileSync(path.join(dir, 'tmp', 'new'), randomBytes(first.length));
    renameSync(path.join(dir, 'tmp', 'new'), path.join(dir, m.file));
    publish('district', randomBytes(1000), { epoch: head.epoch, v: head.v });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(Buffer.concat(chunks).equals(first)).toBe(true);
  });

  it('cuts a download whose client stops reading after the stall timeout, and closes the file; a shorter pause is not cut', async () => {
    const head = await readSyncHead(store.db);
    // more than the file stream's read (IMAGE_READ_BYTES) and the loopback socket's buffers hold
    const bytes = randomBytes(48 * 1024 * 1024);
    const m = publish('district', bytes, { epoch: head.epoch, v: head.v });
    const file = path.join(dir, m.file);
    const port = new URL(stalling.url).port;
    const request = `GET ${query()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-actor: admin\r\nConnection: close\r\n\r\n`;

    // a client that reads the headers and a little, then nothing
    const stalled = net.connect(Number(port), '127.0.0.1');
    let received = 0;
    let stopped = false;
    const ended = new Promise<void>((resolve) => stalled.on('close', () => resolve()));
    stalled.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > 64 * 1024 && !stopped) {
        stopped = true;
        stalled.pause();
      }
    });
    stalled.write(request);
    await expect.poll(() => stopped, { timeout: 5_000 }).toBe(true);
    if (openDescriptors(file) !== null) expect(openDescriptors(file)).toBe(1);
    const pausedAt = Date.now();
    // the data center cuts it: its descriptor of the file is closed
    if (openDescriptors(file) !== null) {
      await expect.poll(() => openDescriptors(file), { timeout: 5_000, interval: 20 }).toBe(0);
      expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(STALL_MS - 50);
    }
    // read on: what is left in the buffers, then the end — not the whole file
    stalled.resume();
    await ended;
    expect(received).toBeLessThan(bytes.length);

    // a client that pauses for less than the stall timeout, then reads on, receives the whole file
    const res = await get(stalling.url, query());
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = 0;
    for (let i = 0; ; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.length;
      if (i === 1) await new Promise((resolve) => setTimeout(resolve, STALL_MS / 2));
    }
    expect(got).toBe(bytes.length);
    if (openDescriptors(file) !== null) await expect.poll(() => openDescriptors(file), { timeout: 2_000 }).toBe(0);
  });
});

/** How many descriptors this process holds on `file` (the data center runs in it); null where /proc/self/fd is not. */
function openDescriptors(file: string): number | null {
  if (!existsSync('/proc/self/fd')) return null;
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) n++;
    } catch {
      // closed since the listing
    }
  }
  return n;
}
