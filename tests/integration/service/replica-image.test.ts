/**
 * The sync client's first snapshot from a replica image (sync/sync-client.ts `imageSnapshot`; docs/sync-client.md
 * "A replica image switched in whole"). The image is a real one: a keeper data service syncs the fake feed and its
 * replica is exported (store/replica-image.ts exportReplicaImage); a front on node:http serves it as
 * `GET /api/v1/sync/image` (core/sync/image.ts) and passes everything else on to the feed.
 *
 * The client takes the image, with its progress in bytes, and tails from its cursor without asking for the row
 * snapshot; it falls back to the row snapshot in the same attempt on a 404, a 503, a cut download, a wrong
 * digest and a malformed cursor header, and asks for no image again in the process after the last two; a switch
 * that commits and then fails (ReplicaImageCommitted) is not fallen back from but re-snapshotted by rows; a 401
 * invalidates the token; a command submitted during the copy is held and written once after it; the WAL the
 * switch committed into is checkpointed off the service's thread (the replica is ready before) and truncated.
 */
import { createReadStream, existsSync, mkdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../../src/core/index';
import { EventListArgs, KpiArgs } from '../../../src/core/rpc/queries';
import { IMAGE_CONTENT_TYPE, IMAGE_HEADERS, formatImageCursor, replicaSchemaIdOf } from '../../../src/core/sync/image';
import { migrations } from '../../../src/main/service/store/migrations';
import { openReplica, ReplicaFailed } from '../../../src/main/service/store/open';
import { exportReplicaImage, type ImageInfo } from '../../../src/main/service/store/replica-image';
import { OutboxStore } from '../../../src/main/service/outbox/outbox-store';
import { clientIdOf } from '../../../src/main/service/store/preferences';
import { IMAGE_DOWNLOAD_FILE } from '../../../src/main/service/sync/sync-client';
import { startFakeFeed, type FakeFeedServer } from './fake-feed-server';
import { startFront } from './front-proxy';
import { eventChange, makeEvent, referenceChanges, replicaRows, serviceOn, sorted, tempDir, type Harness } from './feed-fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** what the front answers to `GET /api/v1/sync/image` */
type ImageMode = 'serve' | 'missing' | 'building' | 'cut' | 'stall' | 'wrong-digest' | 'bad-cursor' | 'unauthenticated-once';

interface Front {
  url: string;
  /** the image requests' URLs, the row snapshot requests' URLs, in order */
  images: URL[];
  snapshots: URL[];
  /** the Authorization headers the image requests came with */
  imageAuth: (string | undefined)[];
  mode: ImageMode;
  /** while set, command pushes wait for it before they go on to the feed (their answers come when it resolves) */
  commandsGate: Promise<void> | null;
  /** pushes that waited for the gate */
  commandsHeld: number;
  /** called as a row snapshot request arrives, before it is passed on */
  onSnapshot: (() => void) | null;
}

/** A front for the fake feed that serves `image` at /api/v1/sync/image as `mode` says, and passes the rest on. */
async function frontOf(f: FakeFeedServer, image: ImageInfo, mode: ImageMode): Promise<Front> {
  const front: Front = { url: '', images: [], snapshots: [], imageAuth: [], mode, commandsGate: null, commandsHeld: 0, onSnapshot: null };
  front.url = await startFront(
    f.port,
    (req, res, pass) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/api/v1/sync/image') {
        front.images.push(url);
        front.imageAuth.push(req.headers.authorization);
        serveImage(front, image, req, res);
        return true;
      }
      if (url.pathname === '/api/v1/sync/snapshot') {
        front.snapshots.push(url);
        front.onSnapshot?.();
      }
      if (url.pathname === '/api/v1/commands' && front.commandsGate) {
        front.commandsHeld += 1;
        void front.commandsGate.then(pass);
        return true;
      }
      return false;
    },
    cleanups,
  );
  return front;
}

function serveImage(front: Front, image: ImageInfo, req: http.IncomingMessage, res: http.ServerResponse): void {
  const json = (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const url = new URL(req.url ?? '/', 'http://x');
  const mode = front.mode;
  if (mode === 'missing') return json(404, { ok: false, error: { code: 'no_image', message: 'no image of that scope' } });
  if (mode === 'building') return json(503, { ok: false, error: { code: 'unavailable', message: 'the image is being built' } }, { 'retry-after': '5' });
  if (mode === 'unauthenticated-once') {
    front.mode = 'serve';
    return json(401, { ok: false, error: { code: 'unauthenticated', message: 'token expired' } });
  }
  // what the data center checks of the query: the client asks for its own build's schema and its replica's page size
  expect(url.searchParams.get('schema')).toBe(replicaSchemaIdOf(migrations));
  expect(url.searchParams.get('pageSize')).toBe(String(image.pageSize));
  expect(url.searchParams.get('scope')).toBe(image.scope);
  res.writeHead(200, {
    'content-type': IMAGE_CONTENT_TYPE,
    'content-length': String(image.bytes),
    [IMAGE_HEADERS.sha256]: mode === 'wrong-digest' ? '0'.repeat(64) : image.sha256,
    [IMAGE_HEADERS.scope]: image.scope,
    [IMAGE_HEADERS.cursor]: mode === 'bad-cursor' ? 'epoch-1' : formatImageCursor(image.cursor),
    [IMAGE_HEADERS.schema]: replicaSchemaIdOf(migrations),
  });
  if (mode === 'stall') {
    // half the file, then nothing more on a connection that stays open
    createReadStream(image.file, { end: Math.floor(image.bytes / 2) - 1 }).on('data', (chunk) => res.write(chunk));
    return;
  }
  if (mode === 'cut') {
    // half the file, then the connection drops
    createReadStream(image.file, { end: Math.floor(image.bytes / 2) - 1 })
      .on('data', (chunk) => res.write(chunk))
      .on('end', () => setTimeout(() => res.destroy(), 20));
    return;
  }
  createReadStream(image.file).pipe(res);
}

/**
 * The feed (reference data and 30 events at v 2), a keeper that replicated it by rows, its image (cursor v 2),
 * then one more version (v 3) the desktop's tail must bring.
 */
async function feedAndImage(): Promise<{ f: FakeFeedServer; image: ImageInfo }> {
  const f = await startFakeFeed();
  cleanups.push(() => f.close());
  f.commit(referenceChanges());
  f.commit(Array.from({ length: 30 }, (_, i) => eventChange(makeEvent(`e${i + 1}`))));
  const keeperDir = tempDir(cleanups, 'huying-keeper-');
  const keeper = await serviceOn(f, keeperDir, cleanups, { sync: { images: false } });
  expect(await keeper.svc.syncNow()).toBe('live');
  const image = await exportReplicaImage(keeper.svc.replica.sqlite, path.join(keeperDir, 'district.sqlite'));
  await keeper.svc.close();
  expect(image.cursor).toEqual({ epoch: 'epoch-1', v: 2 });
  f.commit([eventChange(makeEvent('e31'))]);
  return { f, image };
}

const liveFeedCursors = (h: Harness) => h.log.entries.filter((e) => e.msg === 'live feed connected').map((e) => (e.obj as { cursor: unknown }).cursor);
const snapshotStatuses = (h: Harness) => h.statuses.filter((s) => s.state === 'snapshot');
const fileSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);

describe('a replica image as the first snapshot', () => {
  it.each(['rename', 'copy'] as const)('is downloaded with its progress in bytes, switched in (%s), and tailed from its cursor; the row snapshot is not asked for', async (how) => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    const h = await serviceOn(front, dir, cleanups, { sync: { imageSwitch: how } });
    expect(await h.svc.syncNow()).toBe('live');
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);

    expect(front.images).toHaveLength(1);
    expect(front.snapshots).toEqual([]);
    // tailed from the image's cursor, and the tail brought v 3
    expect(liveFeedCursors(h)[0]).toEqual(image.cursor);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    // progress in bytes against the file's size (its Content-Length, totalBytes): no rows to count, no row rate;
    // the download's bytes rising from 0 to the whole file, then the copy's, rising and never past it
    const progress = snapshotStatuses(h).map((s) => s.progress!);
    expect(progress.every((p) => p.kind === 'image' && p.totalBytes === image.bytes && p.rows === 0 && p.totalRows === null && p.rowsPerSecond === 0)).toBe(true);
    const download = progress.filter((p) => p.phase === 'download').map((p) => p.bytes);
    const copy = progress.filter((p) => p.phase === 'copy').map((p) => p.bytes);
    expect(progress.map((p) => p.phase)).toEqual([...download.map(() => 'download'), ...copy.map(() => 'copy')]);
    expect(download.length).toBeGreaterThanOrEqual(2);
    expect(download[0]).toBe(0);
    expect(download).toEqual([...download].sort((a, b) => a - b));
    expect(download.at(-1)).toBe(image.bytes);
    expect(copy).toEqual([...copy].sort((a, b) => a - b));
    expect(copy.every((bytes) => bytes <= image.bytes)).toBe(true);
    // what a row snapshot's end does: everything changed, at the image's cursor
    expect(h.events.find((e) => e.name === 'events/changed')?.payload).toEqual({ ids: [], all: true, checkpoint: image.cursor });
    expect(h.log.entries.find((e) => e.msg === 'replica image switched in')?.obj).toMatchObject({ scope: 'district', cursor: image.cursor, bytes: image.bytes, how });
    // the download is gone (renamed into place, or deleted after the copy)
    expect(existsSync(path.join(dir, IMAGE_DOWNLOAD_FILE))).toBe(false);
    // renamed: a new connection, nothing to checkpoint; copied: the checkpoint worker ends and truncates the WAL
    if (how === 'rename') expect(h.svc.replica.generation).toBe(1);
    else await expect.poll(() => h.log.entries.some((e) => e.msg === 'replica image checkpointed off the service thread'), { timeout: 10_000 }).toBe(true);
  });

  it.each([
    ['a 404 (no image)', 'missing', 'info', true],
    ['a 503 (being built)', 'building', 'warn', true],
    ['a cut download', 'cut', 'warn', true],
    ['a wrong digest (the switch refuses the file)', 'wrong-digest', 'warn', false],
    ['a malformed cursor header', 'bad-cursor', 'warn', false],
  ] as const)('falls back to the row snapshot in the same attempt on %s', async (_, mode, level, askedAgain) => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, mode);
    const dir = tempDir(cleanups);
    const h = await serviceOn(front, dir, cleanups, { sync: { autoStart: false } });
    // what the badge shows while the row snapshot's request is on its way: not the image's progress
    let whenRowsAsked: SyncStatus | null = null;
    front.onSnapshot = () => (whenRowsAsked ??= h.svc.syncStatus());
    expect(await h.svc.syncNow()).toBe('live');
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    expect(front.images).toHaveLength(1);
    expect(front.snapshots).toHaveLength(1);
    expect(whenRowsAsked).not.toBeNull();
    expect(whenRowsAsked!.progress?.kind).not.toBe('image');
    // the image's progress, when there was some, is followed at once by the row snapshot's start
    const lastImage = h.statuses.findLastIndex((s) => s.progress?.kind === 'image');
    if (lastImage >= 0) expect(h.statuses[lastImage + 1]).toMatchObject({ state: 'snapshot', progress: { rows: 0, bytes: 0, totalRows: null } });
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    // the row snapshot's own cursor, not the image's
    expect(liveFeedCursors(h)[0]).toEqual({ epoch: 'epoch-1', v: 3 });
    const why = h.log.entries.filter((e) => /replica image/.test(e.msg) && e.msg.includes('taking the row snapshot'));
    expect(why.map((e) => e.level)).toEqual([level]);
    expect(h.statuses.some((s) => s.state === 'offline')).toBe(false);
    expect(existsSync(path.join(dir, IMAGE_DOWNLOAD_FILE))).toBe(false);

    // the next snapshot in this process asks for an image again, unless one was refused or malformed
    f.newEpoch('epoch-2');
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 10_000 }).toBe('epoch-2');
    expect(front.snapshots).toHaveLength(2);
    expect(front.images).toHaveLength(askedAgain ? 2 : 1);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('gives up a download whose bytes stop coming (the snapshot’s idle timeout) and takes the row snapshot', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'stall');
    const h = await serviceOn(front, tempDir(cleanups), cleanups, { sync: { snapshotIdleTimeoutMs: 300 } });
    expect(await h.svc.syncNow()).toBe('live');
    expect(front.images).toHaveLength(1);
    expect(front.snapshots).toHaveLength(1);
    const why = h.log.entries.find((e) => e.msg.startsWith('could not download the replica image'));
    expect((why?.obj as { reason?: string } | undefined)?.reason).toMatch(/no image data from \/api\/v1\/sync\/image for \d+ s/);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('takes the row snapshot when a leftover download cannot be deleted (a folder in its place), from start on', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    // what rmSync's `force` does not ignore (EBUSY/EPERM on Windows, EACCES; a folder here, as tests may run as root)
    mkdirSync(path.join(dir, IMAGE_DOWNLOAD_FILE));
    const h = await serviceOn(front, dir, cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    expect(front.images).toEqual([]);
    expect(front.snapshots).toHaveLength(1);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    const warned = h.log.entries.filter((e) => e.msg === 'could not delete the replica image download');
    expect(warned.map((e) => [e.level, (e.obj as { when: string }).when])).toEqual([
      ['warn', 'at start'],
      ['warn', 'before downloading an image'],
    ]);
    expect(h.statuses.some((s) => s.state === 'offline')).toBe(false);
  });

  it('restores autocheckpoint, checkpoints and is ready when the download cannot be deleted after a committed copy', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    const h = await serviceOn(front, dir, cleanups, { sync: { autoStart: false, imagePagesPerStep: 4, imageSwitch: 'copy' } });
    const download = path.join(dir, IMAGE_DOWNLOAD_FILE);
    // during the copy (the switch holds the file open), a folder takes the download's place: its delete after the
    // switch throws (EISDIR), as EBUSY/EPERM would on Windows
    let replaced = false;
    h.svc.subscribe('sync/status', (s: SyncStatus) => {
      if (replaced || s.progress?.phase !== 'copy') return;
      replaced = true;
      unlinkSync(download);
      mkdirSync(download);
    });
    expect(await h.svc.syncNow()).toBe('live');
    expect(replaced).toBe(true);
    // what follows a snapshot (afterSnapshot: ready waiters, the FTS build, everything changed) ran for the image
    expect(h.events.find((e) => e.name === 'events/changed')?.payload).toEqual({ ids: [], all: true, checkpoint: image.cursor });
    expect(h.log.entries.some((e) => e.msg === 'replica image switched in')).toBe(true);
    expect(liveFeedCursors(h)[0]).toEqual(image.cursor);
    expect(front.snapshots).toEqual([]);
    expect(h.statuses.some((s) => s.state === 'offline')).toBe(false);
    expect(h.log.entries.find((e) => e.msg === 'could not delete the replica image download')?.obj).toMatchObject({ when: 'after the switch' });
    // the worker checkpointed the image and the connection's autocheckpoint is back (not left at 0)
    await expect.poll(() => h.log.entries.some((e) => e.msg === 'replica image checkpointed off the service thread'), { timeout: 10_000 }).toBe(true);
    expect(h.svc.replica.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('invalidates the token on a 401 and tries again, without falling back to the row snapshot', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'unauthenticated-once');
    const invalidated: (string | null)[] = [];
    let n = 0;
    const auth = { token: () => `token-${++n}`, invalidate: (t: string | null) => void invalidated.push(t) };
    const h = await serviceOn(front, tempDir(cleanups), cleanups, { auth });
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 10_000 }).toBe('live');
    expect(front.imageAuth[0]).toMatch(/^Bearer token-\d+$/);
    expect(invalidated).toEqual([front.imageAuth[0]!.slice('Bearer '.length)]);
    expect(front.images).toHaveLength(2);
    expect(front.snapshots).toEqual([]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('holds a command submitted during the copy and writes it once after the switch, behind the carried ones (copy)', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    // a command queued before the service started: the switch carries it
    mkdirSync(dir, { recursive: true });
    const before = openReplica({ file: path.join(dir, 'replica.sqlite') });
    new OutboxStore(before.sqlite, clientIdOf(before.sqlite)).submit({ name: 'wall/ack', alertId: 'before' }, new Date().toISOString());
    before.close();

    const h = await serviceOn(front, dir, cleanups, { sync: { autoStart: false, imagePagesPerStep: 1, imageSwitch: 'copy' } });
    const db = h.svc.replica.sqlite;
    let attempt: { during: number; result?: unknown; error?: unknown } | null = null;
    h.svc.subscribe('sync/status', (s: SyncStatus) => {
      // the copy runs: the switch holds the write lock, and its connection's busy timeout is 0 meanwhile
      if (attempt || s.state !== 'snapshot' || db.pragma('busy_timeout', { simple: true }) !== 0) return;
      attempt = { during: db.prepare('SELECT count(*) FROM events').pluck().get() as number };
      try {
        attempt.result = h.svc.handlers['commands/submit']({ mutation: { name: 'wall/ack', alertId: 'during' } });
      } catch (err) {
        attempt.error = err;
      }
    });
    expect(await h.svc.syncNow()).toBe('live');
    expect(front.snapshots).toEqual([]);
    expect(attempt).not.toBeNull();
    const { during, error, result } = attempt! as { during: number; error?: unknown; result?: unknown };
    // submitted while the old (empty) replica was still the one read
    expect(during).toBe(0);
    expect(error).toBeUndefined();
    expect(result).toBeInstanceOf(Promise);
    const answer = (await result) as { mutationId: number; entry: { state: string } };
    expect(answer.mutationId).toBe(2);
    const rows = db.prepare('SELECT mutation_id, mutation FROM outbox ORDER BY mutation_id').raw().all() as [number, string][];
    expect(rows.map(([id, m]) => [id, (JSON.parse(m) as { alertId: string }).alertId])).toEqual([
      [1, 'before'],
      [2, 'during'],
    ]);
    // the copy's progress, a page a step: its share of the file in bytes, rising, against the file's size
    const copy = snapshotStatuses(h).map((s) => s.progress!).filter((p) => p.phase === 'copy');
    expect(copy.length).toBeGreaterThanOrEqual(2);
    expect(copy.every((p) => p.kind === 'image' && p.totalBytes === image.bytes && p.bytes > 0 && p.bytes <= image.bytes)).toBe(true);
    expect(copy.map((p) => p.bytes)).toEqual(copy.map((p) => p.bytes).sort((a, b) => a - b));
    expect(copy.at(-1)!.bytes).toBeGreaterThan(copy[0]!.bytes);
    // once the feed is connected the pusher sends both, each once
    await expect.poll(() => f.pushes.flatMap((p) => p.mutationIds), { timeout: 5_000 }).toEqual([1, 2]);
    await expect.poll(() => sorted(replicaRows(h.svc)), { timeout: 5_000 }).toEqual(sorted(f.rowsOf('district')));
  });

  it('hands the pusher an answer that lands during the copy only after the switch: no SQLITE_BUSY, the entry marked once (copy)', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    let releasePush: () => void = () => undefined;
    front.commandsGate = new Promise((resolve) => (releasePush = resolve));
    const dir = tempDir(cleanups);
    // a queued command: the service pushes it at start, and its answer is held by the front
    mkdirSync(dir, { recursive: true });
    const before = openReplica({ file: path.join(dir, 'replica.sqlite') });
    new OutboxStore(before.sqlite, clientIdOf(before.sqlite)).submit({ name: 'wall/ack', alertId: 'queued' }, new Date().toISOString());
    before.close();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => process.off('unhandledRejection', onRejection));

    let db: Harness['svc']['replica']['sqlite'] | null = null;
    const answeredAt: number[] = [];
    // the service's fetch (the pusher's, under the service's own wait): when the feed's answer to the push arrived,
    // the replica's busy timeout then (0: the switch's copy was running)
    const fetchFn: typeof fetch = async (input, init) => {
      const res = await globalThis.fetch(input, init);
      if (new URL(input instanceof Request ? input.url : input).pathname === '/api/v1/commands') answeredAt.push(db!.pragma('busy_timeout', { simple: true }) as number);
      return res;
    };
    const h = await serviceOn(front, dir, cleanups, { fetch: fetchFn, sync: { autoStart: false, imagePagesPerStep: 1, imageSwitch: 'copy' } });
    db = h.svc.replica.sqlite;
    void h.svc.pushNow();
    await expect.poll(() => front.commandsHeld, { timeout: 5_000 }).toBe(1);
    h.svc.subscribe('sync/status', (s: SyncStatus) => {
      if (s.state !== 'snapshot' || db!.pragma('busy_timeout', { simple: true }) !== 0) return;
      // the copy runs: let the push's answer come, and give it time to arrive between the copy's steps
      releasePush();
      const until = performance.now() + 3;
      while (performance.now() < until);
    });
    expect(await h.svc.syncNow()).toBe('live');
    expect(front.snapshots).toEqual([]);
    // the first answer came during the copy (a later one is the re-push when the feed connects)
    expect(answeredAt[0]).toBe(0);
    expect(rejections).toEqual([]);
    await expect.poll(() => h.svc.replica.sqlite.prepare('SELECT state FROM outbox WHERE mutation_id = 1').pluck().get(), { timeout: 5_000 }).not.toBe('queued');
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    expect(new Set(f.pushes.flatMap((p) => p.mutationIds))).toEqual(new Set([1]));
    expect(h.log.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('copied, is ready at the copy’s commit: the WAL is checkpointed off the service thread, then truncated, and autocheckpoint comes back', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    const h = await serviceOn(front, dir, cleanups, { sync: { autoStart: false, imageSwitch: 'copy' } });
    const db = h.svc.replica.sqlite;
    const file = path.join(dir, 'replica.sqlite');
    // SQLite's autocheckpoint at a few pages: with it on during the switch, its snapshot_at stamp (a commit on this
    // connection) would checkpoint the whole image here, on this thread, as the default 1000 pages do at 0.5 GB
    db.pragma('wal_autocheckpoint = 4');
    expect(image.pages).toBeGreaterThan(20);
    let atReady: { main: number; wal: number; autocheckpoint: unknown } | null = null;
    h.svc.subscribe('sync/status', (s: SyncStatus) => {
      if (atReady || s.state !== 'catching_up') return;
      atReady = { main: fileSize(file), wal: fileSize(`${file}-wal`), autocheckpoint: db.pragma('wal_autocheckpoint', { simple: true }) };
    });
    expect(await h.svc.syncNow()).toBe('live');
    expect(atReady).not.toBeNull();
    const ready = atReady! as { main: number; wal: number; autocheckpoint: unknown };
    // ready with the image in the WAL, not in the database file: nothing checkpointed it on this thread
    expect(ready.main).toBeLessThan(image.bytes / 4);
    expect(ready.wal).toBeGreaterThan(image.bytes);
    expect(ready.autocheckpoint).toBe(0);
    // the worker checkpoints it all and truncates the WAL; the connection's autocheckpoint is back
    await expect.poll(() => h.log.entries.find((e) => e.msg === 'replica image checkpointed off the service thread'), { timeout: 10_000 }).toBeTruthy();
    const done = h.log.entries.find((e) => e.msg === 'replica image checkpointed off the service thread')!.obj as { truncated: boolean; log: number; checkpointed: number };
    expect(done).toMatchObject({ truncated: true });
    expect(done.checkpointed).toBe(done.log);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4);
    expect(fileSize(file)).toBeGreaterThanOrEqual(image.bytes / 2);
    // later commits go through a WAL that SQLite checkpoints again: it stays small
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    for (let i = 0; i < 5; i++) f.commit([eventChange(makeEvent(`late${i}`))]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(8);
    expect(fileSize(`${file}-wal`)).toBeLessThan(image.bytes / 2);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('a copy that commits and then fails is not fallen back from: re-snapshotted by rows, no image asked for again', async () => {
    // a trigger that refuses the switch's snapshot_at stamp, on the keeper (so in the image) and on the desktop:
    // the schemas agree, the copy commits, the stamp after it fails (ReplicaImageCommitted)
    const trigger = "CREATE TRIGGER refuse_stamp BEFORE UPDATE OF snapshot_at ON sync_state BEGIN SELECT RAISE(ABORT, 'stamp refused'); END";
    const f = await startFakeFeed();
    cleanups.push(() => f.close());
    f.commit(referenceChanges());
    f.commit(Array.from({ length: 30 }, (_, i) => eventChange(makeEvent(`e${i + 1}`))));
    const keeperDir = tempDir(cleanups, 'huying-keeper-');
    const keeper = await serviceOn(f, keeperDir, cleanups, { sync: { images: false } });
    expect(await keeper.svc.syncNow()).toBe('live');
    keeper.svc.replica.sqlite.exec(trigger);
    const image = await exportReplicaImage(keeper.svc.replica.sqlite, path.join(keeperDir, 'district.sqlite'));
    await keeper.svc.close();
    f.commit([eventChange(makeEvent('e31'))]);

    const dir = tempDir(cleanups);
    mkdirSync(dir, { recursive: true });
    const before = openReplica({ file: path.join(dir, 'replica.sqlite') });
    before.sqlite.exec(trigger);
    before.close();
    const front = await frontOf(f, image, 'serve');
    const h = await serviceOn(front, dir, cleanups, { sync: { imageSwitch: 'copy' } });
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 10_000 }).toBe(3);
    expect(await h.svc.syncNow()).toBe('live');

    const failed = h.log.entries.filter((e) => e.msg.startsWith('the replica image was switched in, then failed'));
    expect(failed.map((e) => e.level)).toEqual(['error']);
    expect(String((failed[0]!.obj as { err: Error }).err.message)).toMatch(/stamp refused/);
    // the attempt ended as one that must re-snapshot (as on drift), not as a refused image
    expect(h.log.entries.some((e) => e.level === 'warn' && e.msg === 're-snapshotting the scope')).toBe(true);
    expect(h.log.entries.some((e) => e.msg.includes('taking the row snapshot'))).toBe(false);
    // no fall-back in that attempt, no tail from the image: the next attempt re-snapshotted by rows
    expect(front.images).toHaveLength(1);
    expect(front.snapshots).toHaveLength(1);
    expect(liveFeedCursors(h)).not.toContainEqual(image.cursor);
    expect(liveFeedCursors(h)[0]).toEqual({ epoch: 'epoch-1', v: 3 });
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    // the committed switch's WAL is checkpointed by the worker all the same (the row snapshot ran beside it), and the
    // connection's autocheckpoint is back
    await expect.poll(() => h.log.entries.some((e) => e.msg.startsWith('replica image checkpoint') || e.msg.startsWith('the replica image checkpoint')), { timeout: 20_000 }).toBe(true);
    expect(h.svc.replica.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);

    f.newEpoch('epoch-2');
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 10_000 }).toBe('epoch-2');
    expect(front.images).toHaveLength(1);
    expect(front.snapshots).toHaveLength(2);
  });
});

describe('a replica image renamed into place (the default)', () => {
  it('reopens the replica for every holder: queries, KPI facts, the row writer, the outbox and the pusher work on the new file; a submit during the switch lands once after it', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    mkdirSync(dir, { recursive: true });
    // a command queued before the service started (carried) and a download a killed process left (deleted at start)
    const before = openReplica({ file: path.join(dir, 'replica.sqlite') });
    new OutboxStore(before.sqlite, clientIdOf(before.sqlite)).submit({ name: 'wall/ack', alertId: 'before' }, new Date().toISOString());
    before.close();
    writeFileSync(path.join(dir, IMAGE_DOWNLOAD_FILE), 'half an image');

    const h = await serviceOn(front, dir, cleanups, { sync: { autoStart: false } });
    const old = h.svc.replica.sqlite;
    // read and written on the old replica first: the query layer's statement cache and memo, the KPI facts, the row writer's statements
    const kpisBefore = await h.svc.handlers['stats/kpis'](KpiArgs.parse({ period: '30d' }));
    expect(kpisBefore.intake).toBe(0);
    expect((await h.svc.handlers['events/list'](EventListArgs.parse({}))).rows).toEqual([]);

    let during: { result?: unknown; error?: unknown; read?: unknown } | null = null;
    h.svc.subscribe('sync/status', (s: SyncStatus) => {
      if (during || s.progress?.kind !== 'image' || s.progress.phase !== 'copy') return;
      during = {};
      try {
        during.result = h.svc.handlers['commands/submit']({ mutation: { name: 'wall/ack', alertId: 'during' } });
        during.read = h.svc.replica.sqlite.prepare('SELECT count(*) FROM events').pluck().get();
      } catch (err) {
        during.error = err;
      }
    });
    expect(await h.svc.syncNow()).toBe('live');
    // the leftover was deleted (the download creates its file anew, 'wx') and the image renamed into place
    expect(front.snapshots).toEqual([]);
    expect(existsSync(path.join(dir, IMAGE_DOWNLOAD_FILE))).toBe(false);
    expect(h.log.entries.find((e) => e.msg === 'replica image switched in')?.obj).toMatchObject({ how: 'rename' });
    // a new connection; the old one closed
    expect(old.open).toBe(false);
    expect(h.svc.replica.sqlite).not.toBe(old);
    expect(h.svc.replica.generation).toBe(1);
    const db = h.svc.replica.sqlite;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

    // the submit during the switch was held, and landed once, behind the carried command
    expect(during).not.toBeNull();
    const d = during! as { result?: unknown; error?: unknown; read?: unknown };
    expect(d.error).toBeUndefined();
    expect(d.read).toBe(0);
    expect(d.result).toBeInstanceOf(Promise);
    expect(((await d.result) as { mutationId: number }).mutationId).toBe(2);

    // the row writer applies the tail's batches on the new file (v 3, then e32; the feed's acks of the pushed commands too)
    await expect.poll(() => h.svc.syncStatus().cursor?.v ?? 0, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    f.commit([eventChange(makeEvent('e32'))]);
    await expect.poll(() => sorted(replicaRows(h.svc)), { timeout: 5_000 }).toEqual(sorted(f.rowsOf('district')));
    // the query layer reads it (its statement cache and memo were the old connection's), the KPI facts refill on it
    const list = await h.svc.handlers['events/list'](EventListArgs.parse({ limit: 100 }));
    expect(list.rows.map((r) => r.id).sort()).toEqual(Array.from({ length: 32 }, (_, i) => `e${i + 1}`).sort());
    const kpis = await h.svc.handlers['stats/kpis'](KpiArgs.parse({ period: '30d' }));
    expect(kpis.intake).toBe(32);
    expect(db.prepare('SELECT count(*) FROM kpi_facts').pluck().get()).toBe(32);
    // the outbox: a submit after the switch takes the next id; the pusher sends the three, each once
    const after = (await h.svc.handlers['commands/submit']({ mutation: { name: 'wall/ack', alertId: 'after' } })) as { mutationId: number };
    expect(after.mutationId).toBe(3);
    const rows = db.prepare('SELECT mutation_id, mutation FROM outbox ORDER BY mutation_id').raw().all() as [number, string][];
    expect(rows.map(([id, m]) => [id, (JSON.parse(m) as { alertId: string }).alertId])).toEqual([
      [1, 'before'],
      [2, 'during'],
      [3, 'after'],
    ]);
    await h.svc.pushNow();
    await expect.poll(() => f.pushes.flatMap((p) => p.mutationIds).sort(), { timeout: 5_000 }).toEqual([1, 2, 3]);
    await expect.poll(() => db.prepare("SELECT count(*) FROM outbox WHERE state = 'queued'").pluck().get(), { timeout: 5_000 }).toBe(0);
    expect(h.log.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('is fatal when the replica does not open again after a swap: logged, onFatal told once with ReplicaFailed (the host restarts the service)', async () => {
    const dir = tempDir(cleanups);
    const fatal: Error[] = [];
    const h = await serviceOn({ url: 'http://127.0.0.1:9' }, dir, cleanups, { onFatal: (err) => fatal.push(err), sync: { autoStart: false } });
    const file = h.svc.replica.file;
    // a folder in the file's place: every try to open it fails (50, 250, 1000 ms apart), as on a full disk
    expect(() =>
      h.svc.replica.reopen(() => {
        rmSync(file);
        mkdirSync(file);
      }),
    ).toThrow(ReplicaFailed);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(ReplicaFailed);
    expect(h.log.entries.find((e) => e.msg.startsWith('the replica cannot be opened again'))?.level).toBe('error');
    expect(() => h.svc.replica.sqlite).toThrow(ReplicaFailed);
  });

  it('renames the image into place through a symlinked data folder (not copied: the download and the replica named by the same real folder)', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const real = tempDir(cleanups);
    const link = path.join(tempDir(cleanups), 'data');
    symlinkSync(real, link);
    const h = await serviceOn(front, link, cleanups, { sync: { autoStart: false } });
    expect(await h.svc.syncNow()).toBe('live');
    expect(h.log.entries.find((e) => e.msg === 'could not rename the replica image into place; copying it in')).toBeUndefined();
    expect(h.log.entries.find((e) => e.msg === 'replica image switched in')?.obj).toMatchObject({ how: 'rename' });
    expect(h.svc.replica.generation).toBe(1);
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(existsSync(path.join(link, IMAGE_DOWNLOAD_FILE))).toBe(false);
  });

  it('copies the image in where it cannot be renamed (another connection has the replica open)', async () => {
    const { f, image } = await feedAndImage();
    const front = await frontOf(f, image, 'serve');
    const dir = tempDir(cleanups);
    const h = await serviceOn(front, dir, cleanups, { sync: { autoStart: false } });
    const other = openReplica({ file: path.join(dir, 'replica.sqlite') });
    cleanups.push(() => other.close());
    other.sqlite.prepare('SELECT count(*) FROM events').get();
    const old = h.svc.replica.sqlite;
    expect(await h.svc.syncNow()).toBe('live');
    expect(h.log.entries.find((e) => e.msg === 'could not rename the replica image into place; copying it in')?.level).toBe('warn');
    expect(h.log.entries.find((e) => e.msg === 'replica image switched in')?.obj).toMatchObject({ how: 'copy' });
    expect(h.svc.replica.sqlite).toBe(old);
    expect(front.snapshots).toEqual([]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v, { timeout: 5_000 }).toBe(3);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(sorted(replicaRows({ replica: other } as never))).toEqual(sorted(f.rowsOf('district')));
  });
});
