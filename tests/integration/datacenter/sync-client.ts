/**
 * A minimal sync client for the data center's sync tests: an in-memory
 * replica that applies snapshot frames and live batches by the protocol's
 * rules (a batch applies only at its `from` cursor; every frame is checked
 * against its zod schema), and WebSocket / SSE / long-poll readers that
 * collect LiveFrames. The desktop's real client lives in src/main/service.
 */
import WebSocket from 'ws';
import { LiveFrame, SnapshotFrame, type CommandAck, type Cursor, type ScopeChecksum, type SyncScope } from '../../../src/core';
import type { Actor } from '../../../src/core';

export const DISTRICT = '440114';
export const T1 = '440114001000';
export const T2 = '440114002000';

export const admin: Actor = { id: 'admin-1', name: 'Admin', role: 'admin', organisationId: 'district-440114', scope: { level: 'district', code: DISTRICT } };
export const officerT1: Actor = { id: 'duty-t1', name: 'T1 officer', role: 'duty_officer', organisationId: `town-${T1}`, scope: { level: 'town', code: T1 } };

/** The tests' auth seam: `x-actor: admin | t1`. */
export function headerActor(request: { headers: Record<string, string | string[] | undefined> }): Actor | null {
  const who = request.headers['x-actor'];
  if (who === 'admin') return admin;
  if (who === 't1') return officerT1;
  return null;
}

export class Replica {
  readonly tables = new Map<string, Map<string, { v: number; row: unknown }>>();
  cursor: Cursor | null = null;
  readonly acks: CommandAck[] = [];
  readonly checksums: ScopeChecksum[] = [];
  endChecksum: ScopeChecksum | null = null;
  batches = 0;

  constructor(readonly scope: SyncScope) {}

  table(name: string): Map<string, { v: number; row: unknown }> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }

  /** Applies a whole NDJSON snapshot; throws on a malformed or incomplete one. */
  applySnapshot(ndjson: string): void {
    const frames = ndjson
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => SnapshotFrame.parse(JSON.parse(l)));
    const begin = frames[0];
    const end = frames.at(-1);
    if (begin?.t !== 'begin' || end?.t !== 'end') throw new Error(`snapshot frames: ${frames.map((f) => f.t).join(',')}`);
    this.tables.clear();
    let rows = 0;
    for (const f of frames) {
      if (f.t !== 'rows') continue;
      for (const r of f.rows) this.table(f.table).set(r.key, { v: r.v, row: r.row });
      rows += f.rows.length;
    }
    if (rows !== begin.totalRows) throw new Error(`snapshot announced ${begin.totalRows} rows, sent ${rows}`);
    this.cursor = end.checkpoint;
    this.endChecksum = end.checksum;
  }

  /** Applies a live frame; a batch must start at the replica's cursor. */
  apply(frame: LiveFrame): void {
    if (frame.t === 'checksum') this.checksums.push(frame.checksum);
    if (frame.t !== 'batch') return;
    if (!this.cursor || frame.from.epoch !== this.cursor.epoch || frame.from.v !== this.cursor.v) {
      throw new Error(`batch from ${JSON.stringify(frame.from)} does not start at the cursor ${JSON.stringify(this.cursor)}`);
    }
    if (frame.checkpoint.v < frame.from.v) throw new Error('batch goes backwards');
    for (const op of frame.ops) {
      if (op.v <= frame.from.v || op.v > frame.checkpoint.v) throw new Error(`op v ${op.v} outside (${frame.from.v}, ${frame.checkpoint.v}]`);
      if (op.op === 'upsert') this.table(op.table).set(op.key, { v: op.v, row: op.row });
      else this.table(op.table).delete(op.key);
    }
    this.acks.push(...frame.acks);
    this.cursor = frame.checkpoint;
    this.batches++;
  }

  checksum(): ScopeChecksum['tables'] {
    const out: ScopeChecksum['tables'] = {};
    for (const name of ['areas', 'grids', 'units', 'workers', 'config', 'events', 'audit', 'wall']) {
      const t = this.tables.get(name);
      let sumV = 0;
      for (const r of t?.values() ?? []) sumV += r.v;
      out[name] = { count: t?.size ?? 0, sumV };
    }
    return out;
  }

  rowsOf(table: string): Record<string, unknown> {
    return Object.fromEntries([...(this.tables.get(table) ?? new Map<string, { row: unknown }>()).entries()].map(([k, r]) => [k, r.row]));
  }
}

export async function fetchSnapshot(base: string, scope: SyncScope, actor = 'admin'): Promise<Replica> {
  const res = await fetch(`${base}/api/v1/sync/snapshot?scope=${scope}`, { headers: { 'x-actor': actor } });
  if (res.status !== 200) throw new Error(`snapshot ${res.status}: ${await res.text()}`);
  const replica = new Replica(scope);
  replica.applySnapshot(await res.text());
  return replica;
}

export function liveQuery(replica: Replica, clientId?: string): string {
  const c = replica.cursor!;
  return `scope=${replica.scope}&epoch=${c.epoch}&v=${c.v}${clientId ? `&clientId=${clientId}` : ''}`;
}

/** Collects LiveFrames from any transport and lets a test wait for one. */
export class FrameLog {
  readonly frames: LiveFrame[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  push(frame: LiveFrame): void {
    this.frames.push(frame);
    this.notify();
  }

  markClosed(): void {
    this.closed = true;
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with the first frame (from index `from`) matching `pred`. */
  async waitFor(pred: (f: LiveFrame) => boolean, timeoutMs = 5000, from = 0): Promise<LiveFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(pred);
      if (found) return found;
      if (this.closed) throw new Error(`closed without the frame; got ${this.frames.map((f) => f.t).join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames).slice(0, 800)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('transport did not close');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export interface LiveConnection {
  log: FrameLog;
  close(): void;
}

export async function openWs(base: string, query: string, actor = 'admin'): Promise<LiveConnection> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/sync/live?${query}`, { headers: { 'x-actor': actor } });
  const log = new FrameLog();
  ws.on('message', (data) => log.push(LiveFrame.parse(JSON.parse(String(data)))));
  ws.on('close', () => log.markClosed());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { log, close: () => ws.close() };
}

export async function openSse(base: string, query: string, actor = 'admin'): Promise<LiveConnection> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/v1/sync/changes?${query}`, { headers: { accept: 'text/event-stream', 'x-actor': actor }, signal: abort.signal });
  if (res.status !== 200) throw new Error(`sse refused with ${res.status}: ${await res.text()}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error(`sse content-type ${res.headers.get('content-type')}`);
  const log = new FrameLog();
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = event
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) log.push(LiveFrame.parse(JSON.parse(data)));
        }
      }
    } catch {
      // aborted
    } finally {
      log.markClosed();
    }
  })();
  return { log, close: () => abort.abort() };
}

/** Applies every batch/checksum frame of `log` not yet applied; returns the index reached. */
export function applyFrames(replica: Replica, log: FrameLog, from: number): number {
  for (let i = from; i < log.frames.length; i++) replica.apply(log.frames[i]!);
  return log.frames.length;
}
