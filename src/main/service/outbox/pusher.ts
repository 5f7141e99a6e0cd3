/**
 * Pushes the outbox to `POST /api/v1/commands`, oldest first, in batches.
 * The data center keys every command by (clientId, mutationId), skips
 * duplicates and repeats their stored result, so pushing again is always
 * safe; that is how this recovers from a lost answer, a crash between the
 * push and the answer, or a re-snapshot that skipped the batch carrying an
 * ack: entries still `sent` are pushed again after each (re)connection of
 * the live feed and after `resendAfterMs` without an ack.
 *
 * The answer marks entries `sent`; only the feed's ack settles them
 * (OutboxStore.settle in the batch's transaction) — except when the answer's
 * version is already inside the replica the connected feed confirmed, in
 * which case the effect is there and the entry is settled at once.
 */
import { CommandsResponse, formatZodError, type CommandsRequest, type Cursor } from '../../../core/index';
import type { AccessTokenSource } from '../auth';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { retryDelay } from '../sync/backoff';
import { authHeaders, describeFetchError, statusError, UnauthenticatedError } from '../sync/http';
import type { OutboxStore } from './outbox-store';
import { connectionOf, type ConnectionLike } from '../store/connection';

export interface PusherOptions {
  /** the replica's connection (read at each use: an image renamed into place reopens it) */
  sqlite: ConnectionLike;
  outbox: OutboxStore;
  base: URL;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  log: Logger;
  auth?: AccessTokenSource;
  /** the replica's cursor when the connected feed has confirmed its epoch, else null */
  connectedCursor(): Cursor | null;
  /** entries whose state changed */
  onChanged(mutationIds: number[], eventIds: string[]): void;
  /** per request; default 100 (the protocol allows 500) */
  batchSize?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** a sent entry without an ack for this long is pushed again; default 60 s */
  resendAfterMs?: number;
  requestTimeoutMs?: number;
}

export type PushOutcome = 'idle' | 'pushed' | 'failed' | 'stopped';

export class OutboxPusher {
  private running: Promise<PushOutcome> | null = null;
  private again = false;
  private failures = 0;
  private timer: (() => void) | null = null;
  private stopped = false;
  /** entries sent before this instant are pushed again (set when the feed connects) */
  private resendBefore: number | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly o: PusherOptions) {}

  /** Pushes now (or right after the push in progress). */
  kick(): Promise<PushOutcome> {
    if (this.stopped) return Promise.resolve('stopped');
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.timer?.();
    this.timer = null;
    const run = this.pushAll().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.kick();
      }
    });
    this.running = run;
    return run;
  }

  /** The live feed (re)connected: acks of earlier pushes may have been skipped, so push sent entries again. */
  feedConnected(): void {
    this.resendBefore = this.o.clock.now();
    this.failures = 0;
    void this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.();
    this.abort?.abort();
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    this.timer?.();
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      void this.kick();
    }, ms);
  }

  private async pushAll(): Promise<PushOutcome> {
    let pushed = false;
    for (;;) {
      if (this.stopped) return 'stopped';
      const now = this.o.clock.now();
      const cutoff = Math.max(this.resendBefore ?? -Infinity, now - (this.o.resendAfterMs ?? 60_000));
      const items = this.o.outbox.toPush(this.o.batchSize ?? 100, new Date(cutoff).toISOString());
      if (items.length === 0) break;
      const ok = await this.pushOnce(items);
      if (!ok) {
        this.failures += 1;
        this.schedule(retryDelay(this.failures, { initialMs: this.o.retryInitialMs ?? 1_000, maxMs: this.o.retryMaxMs ?? 30_000 }, this.o.random));
        return 'failed';
      }
      this.failures = 0;
      pushed = true;
    }
    this.resendBefore = null;
    // sent entries wait for their acks; look again if they do not come
    if (this.o.outbox.pendingCount() > 0 && !this.timer) this.schedule(this.o.resendAfterMs ?? 60_000);
    return pushed ? 'pushed' : 'idle';
  }

  private async pushOnce(items: ReturnType<OutboxStore['toPush']>): Promise<boolean> {
    const url = new URL('api/v1/commands', this.o.base);
    const body: CommandsRequest = {
      clientId: this.o.outbox.clientId,
      mutations: items.map((i) => ({ mutationId: i.mutationId, createdAt: i.createdAt, mutation: i.mutation })),
    };
    const { headers, token } = await authHeaders(this.o.auth);
    const abort = new AbortController();
    this.abort = abort;
    let res: Response;
    let text: string;
    try {
      res = await this.o.fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(this.o.requestTimeoutMs ?? 30_000)]),
      });
      if (!res.ok) {
        const err = await statusError(res, url.pathname);
        if (err instanceof UnauthenticatedError) this.o.auth?.invalidate?.(token);
        this.o.log.warn({ reason: err.message, mutations: items.length }, 'the data center did not take the outbox push; keeping the commands queued');
        return false;
      }
      text = await res.text();
    } catch (err) {
      this.o.log.debug({ reason: describeFetchError(err, url.pathname) }, 'outbox push failed; the commands stay queued');
      return false;
    } finally {
      if (this.abort === abort) this.abort = null;
    }
    let parsed;
    try {
      parsed = CommandsResponse.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      this.o.log.error({ reason: parsed ? formatZodError(parsed.error).slice(0, 300) : 'not JSON' }, 'malformed answer to the outbox push; the commands stay queued');
      return false;
    }
    const at = new Date(this.o.clock.now()).toISOString();
    const pushedIds = new Set(items.map((i) => i.mutationId));
    const answered = parsed.data.results.filter((r) => pushedIds.has(r.mutationId) && r.clientId === this.o.outbox.clientId);
    const changed = new Set(this.o.outbox.markSent(answered.map((r) => r.mutationId), at));
    const eventIds: string[] = [];
    const cursor = this.o.connectedCursor();
    // v 0: refused without being processed (a stale mutation id); nothing will come through the feed
    const final = answered.filter((r) => r.v === 0 || (cursor !== null && r.v <= cursor.v));
    if (final.length > 0) {
      // otherwise the ack went by already (or a re-snapshot skipped it): the effect is in the replica
      connectionOf(this.o.sqlite).sqlite.transaction(() => {
        for (const r of final) {
          const s = this.o.outbox.settle(r, at);
          if (s.changed) {
            changed.add(r.mutationId);
            if (s.eventId) eventIds.push(s.eventId);
          }
        }
      })();
    }
    if (changed.size > 0) this.o.onChanged([...changed], eventIds);
    if (answered.length < items.length) {
      this.o.log.warn({ pushed: items.length, answered: answered.length }, 'the data center answered fewer commands than were pushed; the rest stay queued');
      return false;
    }
    return true;
  }
}
