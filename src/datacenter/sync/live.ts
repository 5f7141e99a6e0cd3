/**
 * One live subscriber: follows the hub's head and sends the client `batch`
 * frames from its cursor, `heartbeat` when idle, a `checksum` every so often,
 * and `must_refetch` when its cursor can no longer continue (new epoch, or the
 * log it needs was pruned). The same session runs over WebSocket and SSE
 * through a small transport port.
 *
 * Back-pressure: the session pulls — it reads the next page only when the
 * transport's send buffer is below `maxBufferedBytes` — so a slow client is
 * served page by page from the change log and never makes the server buffer
 * without bound.
 *
 * Checksums: the session computes its scope's checksum at the head, then caps
 * its batches at that checksum's checkpoint and sends the checksum frame when
 * the client has exactly reached it, so the client compares like with like.
 */
import type { ScopeChecksum, SyncScope } from '../../core';
import { toRpcError } from '../../core';
import type { Db } from '../store/database';
import { checksumFrame, heartbeatFrame, nextTurn, readBatch } from './feed';
import type { SyncHub } from './hub';
import { computeChecksum } from './state';

export interface LiveTransport {
  /** sends one frame (JSON text) */
  send(text: string): void;
  /** bytes queued and not yet handed to the network */
  buffered(): number;
  /** resolves once the queue has drained (or the transport closed) */
  drained(): Promise<void>;
  /** closes the transport after the frames already sent */
  close(): void;
}

export interface LiveOptions {
  heartbeatMs?: number;
  /** 0: no periodic checksum */
  checksumMs?: number;
  maxBatchOps?: number;
  maxBufferedBytes?: number;
  onError?: (err: unknown) => void;
}

export const DEFAULT_LIVE_OPTIONS = {
  heartbeatMs: 15_000,
  checksumMs: 60_000,
  maxBatchOps: 1000,
  maxBufferedBytes: 1024 * 1024,
} as const;

export class LiveSession {
  private closed = false;
  private running = false;
  private again = false;
  private lastSentAt = Date.now();
  private pendingChecksum: ScopeChecksum | null = null;
  /** the client was told it reached the head (a heartbeat at its cursor right after the batch that got it there) */
  private toldAtHead = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly opts: Required<Omit<LiveOptions, 'onError'>> & Pick<LiveOptions, 'onError'>;
  readonly epoch: string;
  /** the client's cursor: the last checkpoint sent */
  cursor: number;

  constructor(
    private readonly db: Db,
    private readonly hub: SyncHub,
    private readonly transport: LiveTransport,
    readonly scope: SyncScope,
    readonly clientId: string | null,
    from: { epoch: string; v: number },
    options: LiveOptions = {},
  ) {
    this.epoch = from.epoch;
    this.cursor = from.v;
    this.opts = { ...DEFAULT_LIVE_OPTIONS, ...options };
  }

  start(): void {
    this.unsubscribe.push(this.hub.onAdvance(() => this.wake()));
    this.unsubscribe.push(this.hub.onEpoch(() => this.refetch('epoch')));
    const beat = setInterval(() => {
      if (Date.now() - this.lastSentAt >= this.opts.heartbeatMs) this.sendFrame(JSON.stringify(heartbeatFrame(this.epoch, this.cursor, new Date())));
    }, Math.max(10, Math.floor(this.opts.heartbeatMs / 2)));
    beat.unref();
    this.timers.push(beat);
    if (this.opts.checksumMs > 0) {
      const sum = setInterval(() => void this.checksumNow(), this.opts.checksumMs);
      sum.unref();
      this.timers.push(sum);
    }
    if (this.hub.epoch !== this.epoch) this.refetch('epoch');
    else this.wake();
  }

  /** Computes the scope's checksum now and sends it when the client reaches its checkpoint. */
  async checksumNow(): Promise<void> {
    if (this.closed) return;
    try {
      const checksum = await computeChecksum(this.db, this.scope);
      if (checksum.checkpoint.epoch !== this.epoch) return this.refetch('epoch');
      if (checksum.checkpoint.v < this.cursor) return; // the client is past it already; the next one will do
      this.pendingChecksum = checksum;
      this.wake();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /** Stops the session (the transport is closed by its owner). */
  stop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const u of this.unsubscribe) u();
  }

  private wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private sendFrame(text: string): void {
    if (this.closed) return;
    this.transport.send(text);
    this.lastSentAt = Date.now();
  }

  private refetch(reason: 'epoch' | 'expired' | 'ahead'): void {
    if (this.closed) return;
    this.sendFrame(JSON.stringify({ t: 'must_refetch', reason }));
    this.stop();
    this.transport.close();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        while (!this.closed) {
          const checksum = this.pendingChecksum;
          const target = checksum ? Math.min(this.hub.head, checksum.checkpoint.v) : this.hub.head;
          if (this.cursor < target) {
            if (this.transport.buffered() > this.opts.maxBufferedBytes) {
              await this.transport.drained();
              continue;
            }
            const batch = await readBatch(this.db, this.hub, {
              scope: this.scope,
              clientId: this.clientId,
              epoch: this.epoch,
              from: this.cursor,
              upto: target,
              maxOps: this.opts.maxBatchOps,
            });
            if (this.closed) return;
            if (batch.kind === 'must_refetch') return this.refetch(batch.reason);
            this.sendFrame(batch.json);
            this.cursor = batch.checkpoint;
            await nextTurn();
            continue;
          }
          if (checksum && this.cursor >= checksum.checkpoint.v) {
            this.pendingChecksum = null;
            if (this.cursor === checksum.checkpoint.v) this.sendFrame(JSON.stringify(checksumFrame(checksum)));
            continue;
          }
          // the client has reached the head: a heartbeat at its cursor tells it so now, once per session. Otherwise a
          // client catching up under steady traffic (a batch every few seconds) would wait for heartbeatMs of quiet,
          // minutes on a busy day, before it could call itself live
          if (!this.toldAtHead && this.cursor >= this.hub.head) {
            this.toldAtHead = true;
            this.sendFrame(JSON.stringify(heartbeatFrame(this.epoch, this.cursor, new Date())));
          }
          break;
        }
      } while (this.again && !this.closed);
    } catch (err) {
      this.opts.onError?.(err);
      if (!this.closed) {
        const e = toRpcError(err);
        this.sendFrame(JSON.stringify({ t: 'error', code: e.code === 'internal' ? 'internal' : e.code, message: e.code === 'internal' ? 'the live feed failed on the server' : e.message }));
        this.stop();
        this.transport.close();
      }
    } finally {
      this.running = false;
    }
  }
}
