/**
 * The data service as its own process for bench/sync (as in the web host: a
 * Node process serving the RPC over a WebSocket), so its memory is its own
 * and the data center's event loop is not its event loop. Driven by the
 * parent over the fork IPC channel:
 *
 *   start { dataDir, url, images?, imageSwitch? } → started { rpcPort, barePort, rss }   (images: false = the row snapshot only; imageSwitch: 'rename' (default) | 'copy')
 *   login { login, password } → session
 *   sync                      → synced { outcome }       (statuses stream as `status`)
 *   queries                   → queried                  (a few heavy reads, for the memory peak)
 *   fts                       → fts { through }          (store/replica-writes.ts ftsBuiltThrough: null when the FTS index is complete)
 *   memory                    → memory { peak, rss }
 * and, unasked: `image` (the sync client's 'replica image switched in'), `ftsBuilt` (its 'full-text index built')
 *   stop                      → exits 0
 *
 * Timestamps are `process.hrtime` (CLOCK_MONOTONIC, the same clock in every
 * process of the machine), in ms, so the parent can subtract them from its
 * own. `applied` reports when each event id was announced by `events/changed`
 * — emitted right after the batch's transaction commits in the replica.
 * `/bare` is a plain WebSocket echo for the latency baseline.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { EventListArgs, KpiArgs, MapEventsArgs } from '../../src/core/rpc/queries';
import { createDataService, type DataService } from '../../src/main/service/index';
import { ftsBuiltThrough } from '../../src/main/service/store/replica-writes';
import { sseTransport, webSocketTransport, type LiveTransport } from '../../src/main/service/sync/live-transport';
import { attachRpcSocket } from '../../src/main/web-host/rpc-socket';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const send = (m: unknown) => process.send!(m);
// quiet, but for the image path's own account of its parts and of an FTS build after it (bench/sync/image-phase.ts)
const quiet = {
  debug: () => {},
  info: (o: object, m?: string) => {
    if (m === 'replica image switched in') send({ t: 'image', ...o });
    else if (m === 'full-text index built') send({ t: 'ftsBuilt', ...o });
  },
  warn: () => {},
  error: (o: object, m?: string) => process.stderr.write(`service error: ${m ?? ''} ${JSON.stringify(o).slice(0, 500)}\n`),
};

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
setInterval(sample, 25).unref();

/** HUYING_BENCH_SNAPSHOT_PARSER=inline|worker|auto: the sync client's snapshot parser for A/B runs (unset: the service's default) */
const parserOption = (): { snapshotParser?: 'inline' | 'worker' | 'auto' } => {
  const p = process.env.HUYING_BENCH_SNAPSHOT_PARSER;
  if (p === undefined || p === '') return {};
  if (p !== 'inline' && p !== 'worker' && p !== 'auto') throw new Error(`HUYING_BENCH_SNAPSHOT_PARSER: ${p}`);
  return { snapshotParser: p };
};

let svc: DataService | null = null;
let applied: [string, number][] = [];
/** [event id, frame received, frame handled (applied, events/changed emitted), ops in its batch] */
let received: [string, number, number, number][] = [];
setInterval(() => {
  if (applied.length > 0) send({ t: 'applied', items: applied });
  if (received.length > 0) send({ t: 'received', items: received });
  applied = [];
  received = [];
}, 200).unref();

/**
 * The live transports with a stopwatch: when each batch frame's text reached
 * the data service (the WebSocket message event), so the parent can split
 * commit → applied (events/changed, below) into the data center and
 * network's part and the client's part. (The sync client queues the frame
 * and applies it after the I/O turn, together with any frames that came
 * along: the handler's own duration, `done`, is only the queueing.) The frame's ids
 * are read after the handler returned, off the clock.
 */
const timed =
  (inner: LiveTransport): LiveTransport =>
  (req, handlers) =>
    inner(req, {
      onClose: handlers.onClose,
      onMessage: (text) => {
        const at = nowMs();
        handlers.onMessage(text);
        const done = nowMs();
        if (!text.startsWith('{"t":"batch"')) return;
        const frame = JSON.parse(text) as { ops?: { table: string; key: string }[] };
        const ops = frame.ops ?? [];
        for (const op of ops) if (op.table === 'events') received.push([op.key, at, done, ops.length]);
      },
    });

process.on('message', (raw: unknown) => {
  const m = raw as { t: string; [k: string]: unknown };
  void (async () => {
    try {
      switch (m.t) {
        case 'start': {
          svc = await createDataService({ shell: 'web', dataDir: String(m.dataDir), dataCenterUrl: String(m.url), logger: quiet, sync: { autoStart: false, quietCaughtUpMs: 500, transports: [timed(webSocketTransport), timed(sseTransport)], ...parserOption(), ...(m.images === false ? { images: false } : {}), ...(m.imageSwitch === 'copy' || m.imageSwitch === 'rename' ? { imageSwitch: m.imageSwitch } : {}) } });
          svc.subscribe('events/changed', (p) => {
            const t = nowMs();
            for (const id of p.ids) applied.push([id, t]);
          });
          svc.subscribe('sync/status', (s) => send({ t: 'status', at: nowMs(), state: s.state, progress: s.progress }));
          const server = http.createServer((_q, r) => r.writeHead(404).end());
          attachRpcSocket(server, svc, { heartbeatMs: 0, maxPayload: 64 * 1024 * 1024, log: () => {} });
          await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
          const bare = new WebSocketServer({ port: 0, host: '127.0.0.1' });
          await new Promise<void>((r) => bare.once('listening', () => r()));
          bare.on('connection', (ws) =>
            ws.on('message', (data) => {
              const at = nowMs();
              const msg = JSON.parse(data.toString()) as { id: string };
              ws.send(JSON.stringify({ id: msg.id, at }));
            }),
          );
          sample();
          send({ t: 'started', rpcPort: (server.address() as AddressInfo).port, barePort: (bare.address() as AddressInfo).port, rss: process.memoryUsage().rss });
          return;
        }
        case 'login':
          send({ t: 'session', session: await svc!.handlers['auth/login']({ login: String(m.login), password: String(m.password) }) });
          return;
        case 'sync':
          send({ t: 'synced', outcome: await svc!.syncNow() });
          return;
        case 'queries': {
          const h = svc!.handlers;
          await h['events/counts']({});
          await h['events/list'](EventListArgs.parse({ filter: { queue: 'overdue_warning' } }));
          await h['map/events'](MapEventsArgs.parse({}));
          await h['stats/kpis'](KpiArgs.parse({ period: '30d' }));
          await h['map/grid-stats']({ period: '30d' });
          sample();
          send({ t: 'queried' });
          return;
        }
        case 'fts':
          send({ t: 'fts', through: ftsBuiltThrough(svc!.replica.sqlite) });
          return;
        case 'memory':
          sample();
          send({ t: 'memory', peak, rss: process.memoryUsage().rss });
          return;
        case 'stop':
          await svc?.close();
          process.exit(0);
      }
    } catch (err) {
      send({ t: 'error', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
    }
  })();
});
send({ t: 'alive' });
