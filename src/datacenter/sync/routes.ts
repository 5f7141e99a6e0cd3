/**
 * HTTP surface of the sync feed (docs/sync-protocol.md):
 *
 *   GET  /api/v1/sync/snapshot?scope=            NDJSON SnapshotFrames from one consistent read
 *   GET  /api/v1/sync/live?scope=&epoch=&v=&clientId=      WebSocket of LiveFrames
 *   GET  /api/v1/sync/changes?…   Accept: text/event-stream → SSE of LiveFrames
 *                                 otherwise → long-poll: one LiveFrame as JSON
 *   GET  /api/v1/sync/checksum?scope=            ScopeChecksum at the head
 *   POST /api/v1/sync/epoch                      (admin) new epoch: every client re-snapshots
 *   GET  /api/v1/sync/image?scope=&schema=&pageSize=   a keeper's SQLite replica image (./image-route.ts)
 *
 * Every route needs an actor allowed to read the scope (401 / 403). A cursor
 * that cannot continue is refused before any stream starts with 409
 * `must_refetch` (details.reason: epoch | expired | ahead); later it becomes a
 * `must_refetch` frame.
 *
 * Snapshot exports are bounded (./snapshot-limits.ts): at most `snapshot.maxConcurrent` at once —
 * a further request is answered at once 503 `unavailable` with `Retry-After` — and an export whose
 * client stopped reading is cut after `snapshot.stallTimeoutMs`, so stalled desktops never hold
 * the connections the rest of the data center needs.
 */
import { PassThrough } from 'node:stream';
import websocketPlugin from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HuyingError, LiveQuery, SyncScope, type Actor, type MustRefetchReason } from '../../core';
import { errorBody } from '../http/errors';
import type { DataCenterDb } from '../store/database';
import { canReadScope, requestActor, type ActorOf } from './actor';
import { heartbeatFrame, readBatch } from './feed';
import { registerImageRoute } from './image-route';
import { SyncHub, type SyncHubOptions } from './hub';
import { LiveSession, type LiveOptions, type LiveTransport } from './live';
import { snapshotHighWaterMark, writeSnapshot } from './snapshot';
import { resolveSnapshotLimits, type SnapshotLimitOptions } from './snapshot-limits';
import { bumpEpoch, computeChecksum } from './state';

export interface SyncRoutesOptions {
  store: DataCenterDb;
  /** the auth seam (default: `request.actor`, set by auth's hook) */
  actorOf?: ActorOf;
  hub?: SyncHubOptions;
  live?: LiveOptions;
  /** long-poll: the longest wait a client may ask for, in seconds (default 60) */
  maxWaitSeconds?: number;
  /** bounds of the snapshot exports (./snapshot-limits.ts) */
  snapshot?: SnapshotLimitOptions;
  /** the image keeper's folder (`--images DIR`, ./image-route.ts); absent: GET /api/v1/sync/image is always 404 */
  images?: string | null;
}

export const SnapshotQuery = z.object({ scope: SyncScope });
/**
 * The snapshot's query: `columns`, the client's extraction version (core/sync/extraction.ts), asks for the
 * rows' stored extracted columns computed by that version (docs/sync-protocol.md "Extracted columns").
 */
export const SnapshotExportQuery = SnapshotQuery.extend({ columns: z.coerce.number().int().positive().max(2_147_483_647).optional() });

export const BumpEpochResponse = z.object({ ok: z.literal(true), epoch: z.string() });
export type BumpEpochResponse = z.infer<typeof BumpEpochResponse>;

/** Registers the websocket plugin (when missing) and the sync routes; returns the hub. */
export async function registerSyncRoutes(app: FastifyInstance, opts: SyncRoutesOptions): Promise<SyncHub> {
  const { store } = opts;
  const db = store.db;
  const actorOf = opts.actorOf ?? requestActor;
  const limits = resolveSnapshotLimits(opts.snapshot, store);
  /** snapshot exports in progress (each may hold a database connection until it settles) */
  let exporting = 0;
  const hub = await SyncHub.start(db, {
    ...opts.hub,
    onError: opts.hub?.onError ?? ((err, what) => app.log.warn({ err }, `sync hub ${what} failed`)),
  });
  const live: LiveOptions = { onError: (err) => app.log.warn({ err }, 'live feed failed'), ...opts.live };
  const maxWait = opts.maxWaitSeconds ?? 60;
  if (!app.hasDecorator('websocketServer')) await app.register(websocketPlugin, { options: { maxPayload: 64 * 1024 } });

  const sessions = new Set<{ session: LiveSession; transport: LiveTransport }>();
  const waiting = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const { session, transport } of sessions) {
      session.stop();
      transport.close();
    }
    for (const w of waiting) w();
  });
  app.addHook('onClose', async () => hub.stop());

  function requireActor(request: FastifyRequest, scope?: SyncScope): Actor {
    const actor = actorOf(request);
    if (!actor) throw new HuyingError('unauthenticated', 'sign in to use the sync feed');
    if (scope !== undefined && !canReadScope(actor, scope)) throw new HuyingError('forbidden', `this account may not replicate scope ${scope}`);
    return actor;
  }

  /** Checks a cursor against the head; throws 409 must_refetch when it cannot continue. */
  async function checkCursor(q: LiveQuery): Promise<void> {
    // the database's head, not the hub's: a version written elsewhere may not have reached the hub yet
    const db = await hub.refresh();
    let reason: MustRefetchReason | null = null;
    if (q.epoch !== db.epoch) reason = 'epoch';
    else if (q.v > db.v) reason = 'ahead';
    else if (q.v < Math.max(db.prunedThrough, hub.prunedThrough)) reason = 'expired';
    if (reason) {
      throw new HuyingError('must_refetch', mustRefetchMessage(reason), { reason, epoch: db.epoch, v: db.v });
    }
  }

  app.get('/api/v1/sync/snapshot', async (request, reply) => {
    const { scope, columns } = SnapshotExportQuery.parse(request.query);
    requireActor(request, scope);
    if (exporting >= limits.maxConcurrent) {
      // answered here, not thrown: a busy data center is not an error worth a log line at error level
      request.log.info({ exporting, maxConcurrent: limits.maxConcurrent }, 'snapshot refused: too many exports in progress');
      return reply
        .code(503)
        .header('retry-after', String(limits.retryAfterSeconds))
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(
          errorBody({
            code: 'unavailable',
            message: `${exporting} snapshot exports are in progress, the most this data center runs at once: try again in ${limits.retryAfterSeconds} s`,
            details: { retryAfterSeconds: limits.retryAfterSeconds },
          }),
        );
    }
    exporting++;
    const body = new PassThrough({ highWaterMark: snapshotHighWaterMark(store.kind) });
    // a client that goes away (even before the stream starts) ends the snapshot's transaction
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) body.destroy();
    });
    // …and one that left while the auth hooks ran: 'close' has fired already
    if (request.raw.socket.destroyed) body.destroy();
    await new Promise<void>((resolve, reject) => {
      writeSnapshot(db, scope, body, { onBegin: resolve, stallTimeoutMs: limits.stallTimeoutMs, columns })
        .catch((err) => {
          reject(err instanceof Error ? err : new Error(String(err)));
          request.log.warn({ err }, 'snapshot stream failed');
        })
        // the export's transaction has ended (its connection back in the pool, or closed)
        .finally(() => exporting--);
    });
    return reply.header('cache-control', 'no-store').type('application/x-ndjson; charset=utf-8').send(body);
  });

  registerImageRoute(app, {
    imagesDir: opts.images ?? null,
    requireActor,
    // a download whose client stopped reading is cut as a stalled snapshot export is
    stallTimeoutMs: limits.stallTimeoutMs,
    // the floor checkCursor uses: an image older than it would have its tail answered 409
    head: async () => {
      const head = await hub.refresh();
      return { epoch: head.epoch, v: head.v, floor: Math.max(head.prunedThrough, hub.prunedThrough) };
    },
  });

  app.get('/api/v1/sync/checksum', async (request, reply) => {
    const { scope } = SnapshotQuery.parse(request.query);
    requireActor(request, scope);
    reply.header('cache-control', 'no-store');
    return computeChecksum(db, scope);
  });

  app.post('/api/v1/sync/epoch', async (request): Promise<BumpEpochResponse> => {
    const actor = requireActor(request);
    if (actor.role !== 'admin') throw new HuyingError('forbidden', 'only an admin may reset the sync epoch');
    const epoch = await bumpEpoch(db);
    request.log.warn({ epoch, actor: actor.id }, 'sync epoch bumped: every client re-snapshots');
    return { ok: true, epoch };
  });

  // WebSocket: every check runs before the upgrade, so a refusal is a plain HTTP answer
  app.get(
    '/api/v1/sync/live',
    {
      websocket: true,
      preValidation: async (request) => {
        const q = LiveQuery.parse(request.query);
        requireActor(request, q.scope);
        await checkCursor(q);
      },
    },
    (socket, request) => {
      const q = LiveQuery.parse(request.query);
      const transport: LiveTransport = {
        send: (text) => socket.send(text),
        buffered: () => socket.bufferedAmount,
        drained: () => waitFor(() => socket.bufferedAmount === 0 || socket.readyState !== socket.OPEN),
        close: () => socket.close(1000),
      };
      const session = new LiveSession(db, hub, transport, q.scope, q.clientId ?? null, { epoch: q.epoch, v: q.v }, live);
      const entry = { session, transport };
      sessions.add(entry);
      socket.on('close', () => {
        session.stop();
        sessions.delete(entry);
      });
      socket.on('error', () => socket.terminate());
      session.start();
    },
  );

  app.get('/api/v1/sync/changes', async (request, reply) => {
    const q = LiveQuery.parse(request.query);
    requireActor(request, q.scope);
    await checkCursor(q);
    if (wantsEventStream(request)) return serveSse(request, reply, q);
    return longPoll(q, reply);
  });

  function serveSse(request: FastifyRequest, reply: FastifyReply, q: LiveQuery): FastifyReply {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    let open = true;
    const transport: LiveTransport = {
      send: (text) => {
        if (open) res.write(`data: ${text}\n\n`);
      },
      buffered: () => res.writableLength,
      drained: () => (res.writableLength === 0 || !open ? Promise.resolve() : new Promise((r) => res.once('drain', r).once('close', r))),
      close: () => {
        if (!open) return;
        open = false;
        res.end();
      },
    };
    const session = new LiveSession(db, hub, transport, q.scope, q.clientId ?? null, { epoch: q.epoch, v: q.v }, live);
    const entry = { session, transport };
    sessions.add(entry);
    request.raw.socket.setNoDelay(true);
    res.on('close', () => {
      open = false;
      session.stop();
      sessions.delete(entry);
    });
    session.start();
    return reply;
  }

  async function longPoll(q: LiveQuery, reply: FastifyReply): Promise<string> {
    const deadline = Date.now() + Math.min(q.wait ?? 25, maxWait) * 1000;
    let closing = false;
    // the hub may advance to the client's own cursor first (a version it learnt of late): keep waiting
    while (hub.head <= q.v && !closing && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = (close = false) => {
          closing ||= close;
          clearTimeout(timer);
          off();
          waiting.delete(stop);
          resolve();
        };
        const stop = () => done(true);
        const timer = setTimeout(done, deadline - Date.now());
        const off = hub.onAdvance(() => done());
        waiting.add(stop);
      });
    }
    reply.header('cache-control', 'no-store').type('application/json; charset=utf-8');
    if (hub.head <= q.v) return JSON.stringify(heartbeatFrame(hub.epoch, q.v, new Date()));
    const batch = await readBatch(db, hub, {
      scope: q.scope,
      clientId: q.clientId ?? null,
      epoch: q.epoch,
      from: q.v,
      upto: hub.head,
      maxOps: live.maxBatchOps,
    });
    if (batch.kind === 'must_refetch') {
      throw new HuyingError('must_refetch', mustRefetchMessage(batch.reason), { reason: batch.reason, epoch: hub.epoch, v: hub.head });
    }
    return batch.json;
  }

  return hub;
}

function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}

function mustRefetchMessage(reason: MustRefetchReason): string {
  switch (reason) {
    case 'epoch':
      return 'the data center database was replaced or restored: take a new snapshot';
    case 'expired':
      return 'the cursor is older than the retained change log: take a new snapshot';
    case 'ahead':
      return 'the cursor is beyond the data center: take a new snapshot';
  }
}

/** Polls `done` every 10 ms (ws has no drain event). */
function waitFor(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => (done() ? resolve() : setTimeout(tick, 10).unref());
    tick();
  });
}
