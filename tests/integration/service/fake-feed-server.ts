/**
 * A stand-in data center that speaks the sync protocol of
 * src/core/sync/protocol.ts exactly — snapshot (NDJSON begin/rows/end with
 * checksums, from one consistent read), live feed over WebSocket and SSE
 * (batch/heartbeat/checksum/must_refetch), 409 must_refetch, and
 * `POST /api/v1/commands` with (clientId, mutationId) idempotency — over an
 * in-memory log, with knobs the real one does not have: split batches as a
 * test likes, send raw frames, change the epoch, prune the log, go down and
 * come back on the same port, refuse WebSockets, slow the snapshot down.
 *
 * Every frame it sends is checked against the core schemas first, so a test
 * that passes here passes because the client speaks the protocol.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CommandsRequest,
  LiveFrame,
  SnapshotFrame,
  type CommandAck,
  type Cursor,
  type Mutation,
  type ReplicatedTable,
  type ScopeChecksum,
  type SyncOp,
} from '../../../src/core/index';

const TABLES: ReplicatedTable[] = ['areas', 'grids', 'units', 'workers', 'config', 'events', 'audit', 'wall'];

export interface ServerRow {
  v: number;
  row: unknown;
  /** town code, or null: every client sees it */
  scope: string | null;
}

export interface LoggedOp extends SyncOp {
  scope: string | null;
  /** the scope the row had before (a row moving out of a town is a delete for that town) */
  prevScope: string | null;
}

export interface Version {
  v: number;
  ops: LoggedOp[];
  acks: CommandAck[];
}

export interface Change {
  table: ReplicatedTable;
  key: string;
  /** undefined: delete */
  row?: unknown;
  scope?: string | null;
}

/** What the server does with a pushed mutation: changes to commit, or a rejection. */
export type MutationHandler = (mutation: Mutation, server: FakeFeedServer) => { changes: Change[] } | { error: { code: string; message: string } };

export interface FakeFeedOptions {
  epoch?: string;
  /** rows per snapshot `rows` frame; default 50 */
  pageRows?: number;
  /** ms between heartbeats on an idle connection; default 100 */
  heartbeatMs?: number;
  onMutation?: MutationHandler;
}

interface LiveClient {
  scope: string;
  clientId: string;
  /** the version this client has been sent up to */
  sentV: number;
  send(frame: LiveFrame): void;
  close(): void;
  kind: 'websocket' | 'sse';
}

export class FakeFeedServer {
  url = '';
  port = 0;
  epoch: string;
  head = 0;
  prunedThrough = 0;
  readonly rows = new Map<string, ServerRow>();
  readonly log: Version[] = [];
  readonly hits = new Map<string, number>();
  readonly pushes: { clientId: string; mutationIds: number[] }[] = [];
  /** stored results per `${clientId}:${mutationId}` */
  readonly results = new Map<string, CommandAck>();
  readonly lastMutationId = new Map<string, number>();
  /** how many versions go into one batch; a function gets the versions pending and returns how many to send */
  split: (pending: number) => number = (n) => n;
  refuseWebSocket = false;
  refuseSse = false;
  /** ms to wait between snapshot pages (to SIGKILL in the middle) */
  snapshotPageDelayMs = 0;
  /** answer commands with this status instead (null: normal) */
  commandsStatus: number | null = null;
  /** do not send acks in batches (a test of settling from the answer) */
  withholdAcks = false;
  /** hold new versions back from live clients until released */
  paused = false;
  onMutation: MutationHandler | undefined;
  heartbeatMs: number;
  pageRows: number;
  private server: http.Server;
  private wss = new WebSocketServer({ noServer: true });
  private sockets = new Set<Socket>();
  private clients = new Set<LiveClient>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(opts: FakeFeedOptions = {}) {
    this.epoch = opts.epoch ?? 'epoch-1';
    this.pageRows = opts.pageRows ?? 50;
    this.heartbeatMs = opts.heartbeatMs ?? 100;
    this.onMutation = opts.onMutation;
    this.server = http.createServer((req, res) => void this.route(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  // ── the log ──────────────────────────────────────────────────────────

  /** Commits one version with these changes (and acks); live clients get it. */
  commit(changes: Change[], acks: CommandAck[] = []): number {
    const v = ++this.head;
    const ops: LoggedOp[] = [];
    for (const c of changes) {
      const id = `${c.table}\u0000${c.key}`;
      const prev = this.rows.get(id);
      if (c.row === undefined) {
        if (!prev) continue;
        this.rows.delete(id);
        ops.push({ table: c.table, op: 'delete', key: c.key, v, scope: prev.scope, prevScope: prev.scope });
      } else {
        const scope = c.scope === undefined ? (prev?.scope ?? null) : c.scope;
        this.rows.set(id, { v, row: c.row, scope });
        ops.push({ table: c.table, op: 'upsert', key: c.key, v, row: c.row, scope, prevScope: prev ? prev.scope : null });
      }
    }
    this.log.push({ v, ops, acks: acks.map((a) => ({ ...a, v })) });
    this.pump();
    return v;
  }

  /** A restored backup: a new epoch, same rows; every cursor of the old epoch must re-snapshot. */
  newEpoch(epoch: string): void {
    this.epoch = epoch;
    this.prunedThrough = this.head;
    for (const c of [...this.clients]) c.close();
  }

  /** Forgets the log up to `v` (retention): older cursors get 409. */
  prune(v: number): void {
    this.prunedThrough = Math.max(this.prunedThrough, v);
  }

  /** Rows a scope sees, as the replica should hold them. */
  rowsOf(scope: string): Map<string, { v: number; row: unknown }> {
    const out = new Map<string, { v: number; row: unknown }>();
    for (const [id, r] of this.rows) if (visible(scope, r.scope)) out.set(id, { v: r.v, row: r.row });
    return out;
  }

  checksumOf(scope: string): ScopeChecksum {
    const tables: ScopeChecksum['tables'] = {};
    for (const t of TABLES) tables[t] = { count: 0, sumV: 0 };
    for (const [id, r] of this.rows) {
      if (!visible(scope, r.scope)) continue;
      const t = tables[id.slice(0, id.indexOf('\u0000'))]!;
      t.count += 1;
      t.sumV += r.v;
    }
    return { checkpoint: { epoch: this.epoch, v: this.head }, tables };
  }

  /** Sends a frame as it is (no schema check) to every live client: for malformed-input tests. */
  sendRaw(text: string): void {
    for (const c of this.clients) (c as LiveClient & { raw(t: string): void }).raw(text);
  }

  sendFrame(frame: LiveFrame): void {
    for (const c of this.clients) c.send(frame);
  }

  liveClients(): { scope: string; clientId: string; kind: string; sentV: number }[] {
    return [...this.clients].map((c) => ({ scope: c.scope, clientId: c.clientId, kind: c.kind, sentV: c.sentV }));
  }

  dropLiveClients(): void {
    for (const c of [...this.clients]) c.close();
  }

  release(): void {
    this.paused = false;
    this.pump();
  }

  /** Sends pending versions to every live client, split as `split` says. */
  pump(): void {
    if (this.paused) return;
    for (const c of this.clients) this.catchUp(c);
  }

  private catchUp(c: LiveClient): void {
    while (c.sentV < this.head) {
      const pending = this.head - c.sentV;
      const n = Math.max(1, Math.min(pending, this.split(pending)));
      const versions = this.log.filter((x) => x.v > c.sentV && x.v <= c.sentV + n);
      const ops: SyncOp[] = [];
      const acks: CommandAck[] = [];
      for (const ver of versions) {
        for (const op of ver.ops) {
          const o = opFor(c.scope, op);
          if (o) ops.push(o);
        }
        if (!this.withholdAcks) acks.push(...ver.acks.filter((a) => a.clientId === c.clientId));
      }
      const from = { epoch: this.epoch, v: c.sentV };
      c.sentV += n;
      c.send({ t: 'batch', from, ops, checkpoint: { epoch: this.epoch, v: c.sentV }, acks });
    }
  }

  // ── HTTP ─────────────────────────────────────────────────────────────

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.hits.set(url.pathname, (this.hits.get(url.pathname) ?? 0) + 1);
    try {
      if (req.method === 'GET' && url.pathname === '/api/v1/sync/snapshot') return await this.snapshot(url, res);
      if (req.method === 'GET' && url.pathname === '/api/v1/sync/changes') return this.sse(url, req, res);
      if (req.method === 'POST' && url.pathname === '/api/v1/commands') return await this.commands(req, res);
      if (url.pathname === '/healthz') return json(res, 200, { ok: true });
      return json(res, 404, { ok: false, error: { code: 'not_found', message: url.pathname } });
    } catch (err) {
      if (!res.headersSent) json(res, 500, { ok: false, error: { code: 'internal', message: String(err) } });
      else res.destroy();
    }
  }

  private async snapshot(url: URL, res: http.ServerResponse): Promise<void> {
    const scope = url.searchParams.get('scope') ?? 'district';
    // one consistent read: copy the rows and the head before the first byte
    const checkpoint: Cursor = { epoch: this.epoch, v: this.head };
    const checksum = this.checksumOf(scope);
    const rows: { table: ReplicatedTable; key: string; v: number; row: unknown }[] = [];
    for (const [id, r] of this.rows) {
      if (!visible(scope, r.scope)) continue;
      const sep = id.indexOf('\u0000');
      rows.push({ table: id.slice(0, sep) as ReplicatedTable, key: id.slice(sep + 1), v: r.v, row: r.row });
    }
    rows.sort((a, b) => TABLES.indexOf(a.table) - TABLES.indexOf(b.table) || a.key.localeCompare(b.key));
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const line = (f: SnapshotFrame) => res.write(`${JSON.stringify(SnapshotFrame.parse(f))}\n`);
    line({ t: 'begin', scope: scope as never, checkpoint, totalRows: rows.length, tables: TABLES });
    for (let i = 0; i < rows.length; ) {
      const table = rows[i]!.table;
      const page: { key: string; v: number; row: unknown }[] = [];
      while (i < rows.length && rows[i]!.table === table && page.length < this.pageRows) {
        const r = rows[i++]!;
        page.push({ key: r.key, v: r.v, row: r.row });
      }
      line({ t: 'rows', table, rows: page });
      if (this.snapshotPageDelayMs > 0) await new Promise((r) => setTimeout(r, this.snapshotPageDelayMs));
      if (res.destroyed) return;
    }
    line({ t: 'end', checkpoint, checksum: { ...checksum, checkpoint } });
    res.end();
  }

  private refusal(url: URL): { status: number; reason: string } | null {
    const epoch = url.searchParams.get('epoch');
    const v = Number(url.searchParams.get('v'));
    if (epoch !== this.epoch) return { status: 409, reason: `epoch ${epoch} is not the data center's` };
    if (!Number.isInteger(v) || v < this.prunedThrough || v > this.head) return { status: 409, reason: `cursor ${v} is outside the retained log` };
    return null;
  }

  private register(url: URL, kind: 'websocket' | 'sse', send: (text: string) => void, close: () => void): LiveClient {
    const client: LiveClient & { raw(t: string): void } = {
      kind,
      scope: url.searchParams.get('scope') ?? 'district',
      clientId: url.searchParams.get('clientId') ?? '',
      sentV: Number(url.searchParams.get('v')),
      send: (frame) => send(JSON.stringify(LiveFrame.parse(frame))),
      raw: send,
      close: () => {
        this.clients.delete(client);
        close();
      },
    };
    this.clients.add(client);
    if (!this.paused) this.catchUp(client);
    this.ensureHeartbeat();
    return client;
  }

  private ensureHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) {
        if (c.sentV === this.head || this.paused) c.send({ t: 'heartbeat', checkpoint: { epoch: this.epoch, v: c.sentV }, at: new Date().toISOString() });
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.hits.set(url.pathname, (this.hits.get(url.pathname) ?? 0) + 1);
    const refuse = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
    };
    if (url.pathname !== '/api/v1/sync/live' || this.refuseWebSocket) return refuse(404, { ok: false, error: { code: 'not_found', message: url.pathname } });
    const r = this.refusal(url);
    if (r) return refuse(r.status, { ok: false, error: { code: 'must_refetch', message: r.reason } });
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const client = this.register(
        url,
        'websocket',
        (text) => ws.send(text),
        () => ws.terminate(),
      );
      ws.on('close', () => this.clients.delete(client));
    });
  }

  private sse(url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.refuseSse) return json(res, 404, { ok: false, error: { code: 'not_found', message: url.pathname } });
    const r = this.refusal(url);
    if (r) return json(res, r.status, { ok: false, error: { code: 'must_refetch', message: r.reason } });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': open\n\n');
    const client = this.register(
      url,
      'sse',
      (text) => res.write(`event: frame\ndata: ${text}\n\n`),
      () => res.destroy(),
    );
    req.on('close', () => this.clients.delete(client));
  }

  private async commands(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.commandsStatus !== null) return json(res, this.commandsStatus, { ok: false, error: { code: 'unavailable', message: 'told to fail' } });
    const parsed = CommandsRequest.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (!parsed.success) return json(res, 400, { ok: false, error: { code: 'invalid_args', message: parsed.error.message } });
    const { clientId, mutations } = parsed.data;
    this.pushes.push({ clientId, mutationIds: mutations.map((m) => m.mutationId) });
    const results = [];
    for (const m of mutations) {
      const id = `${clientId}:${m.mutationId}`;
      const stored = this.results.get(id);
      if (stored) {
        results.push({ ...stored, duplicate: true });
        continue;
      }
      const outcome = this.onMutation ? this.onMutation(m.mutation, this) : { changes: [] };
      const ack: CommandAck =
        'error' in outcome
          ? { clientId, mutationId: m.mutationId, status: 'rejected', error: outcome.error, v: 0 }
          : { clientId, mutationId: m.mutationId, status: 'applied', error: null, v: 0 };
      // rejections take a version too, so they are acked in order in the feed
      const v = this.commit('error' in outcome ? [] : outcome.changes, [ack]);
      const final = { ...ack, v };
      this.results.set(id, final);
      this.lastMutationId.set(clientId, Math.max(this.lastMutationId.get(clientId) ?? 0, m.mutationId));
      results.push({ ...final, duplicate: false });
    }
    json(res, 200, { results, lastMutationId: this.lastMutationId.get(clientId) ?? 0 });
  }

  // ── lifecycle ────────────────────────────────────────────────────────

  listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.url = `http://127.0.0.1:${this.port}`;
        resolve();
      });
    });
  }

  /** Stops listening and cuts every connection (clients see the link drop). */
  async down(): Promise<void> {
    for (const c of [...this.clients]) c.close();
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }

  up(): Promise<void> {
    return this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.down();
    this.wss.close();
  }
}

function visible(scope: string, rowScope: string | null): boolean {
  return scope === 'district' || rowScope === null || rowScope === scope;
}

function opFor(scope: string, op: LoggedOp): SyncOp | null {
  const base = { table: op.table, key: op.key, v: op.v };
  if (visible(scope, op.scope)) return op.op === 'upsert' ? { ...base, op: 'upsert', row: op.row } : { ...base, op: 'delete' };
  // moved out of this town: a delete for it
  if (op.prevScope !== null && visible(scope, op.prevScope)) return { ...base, op: 'delete' };
  return null;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export async function startFakeFeed(opts: FakeFeedOptions = {}): Promise<FakeFeedServer> {
  const s = new FakeFeedServer(opts);
  await s.listen();
  return s;
}
