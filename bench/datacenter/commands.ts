/**
 * Command latency under load: workstation commands POSTed to `/api/v1/commands` at a fixed rate
 * (open loop: a command is due every 1/rate seconds whether or not the previous ones answered, so
 * queueing shows in the latency), while live subscribers follow the district over WebSocket. Each
 * event walks the five-step loop — dispatch (duty officer) → sign → start → handle (城管局's unit
 * operator) → request_check → check_pass → close → evaluate (duty officer) — one client id per
 * event, so its mutations stay in order. The latency is the HTTP answer of the push (the server
 * has decided, written and committed the command and its ack by then).
 *
 * Baseline, same run and database: the same change done raw at the same rate — one transaction
 * with an UPDATE of the event row's document and an INSERT of its audit row, through `pg`.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { log, percentile, sleep } from './common';

export interface LatencyRun {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  sent: number;
  applied: number;
  rejected: number;
  /** achieved rate, per second */
  rate: number;
  /** slots with no event free to take a command (every event busy or done): not sent */
  skipped: number;
}

export interface Subscribers {
  /** ops received by all subscribers together */
  ops(): number;
  frames(): number;
  close(): void;
}

/** `count` WebSocket subscribers of the district feed from the current head. */
export async function subscribe(url: string, token: string, count: number): Promise<Subscribers> {
  const head = (await (await fetch(`${url}/api/v1/sync/checksum?scope=district`, { headers: { authorization: `Bearer ${token}` } })).json()) as { checkpoint: { epoch: string; v: number } };
  let ops = 0;
  let frames = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/sync/live?scope=district&epoch=${head.checkpoint.epoch}&v=${head.checkpoint.v}&clientId=bench-sub-${i}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    ws.on('message', (data) => {
      frames++;
      const text = String(data);
      if (text.startsWith('{"t":"batch"')) ops += (text.match(/"op":"/g) ?? []).length;
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`subscriber refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
    sockets.push(ws);
  }
  return { ops: () => ops, frames: () => frames, close: () => sockets.forEach((s) => s.close()) };
}

const STEPS: { who: 'duty' | 'unit'; command: Record<string, unknown> }[] = [
  { who: 'duty', command: { type: 'dispatch', leadUnitId: 'dept-cg' } },
  { who: 'unit', command: { type: 'sign' } },
  { who: 'unit', command: { type: 'start' } },
  { who: 'unit', command: { type: 'handle', feedback: '已清理完毕' } },
  { who: 'duty', command: { type: 'request_check' } },
  { who: 'duty', command: { type: 'check_pass', reason: '现场核查通过' } },
  { who: 'duty', command: { type: 'close' } },
  { who: 'duty', command: { type: 'evaluate', satisfaction: 5 } },
];

/** Pushes `rate` commands per second for `seconds`, over the given filed events. */
export async function runCommandLoad(opts: { url: string; tokens: { duty: string; unit: string }; eventIds: readonly string[]; rate: number; seconds: number; warmupSeconds: number }): Promise<LatencyRun> {
  const state = opts.eventIds.map((id) => ({ id, step: 0, busy: false, client: `bench-${randomUUID().slice(0, 8)}` }));
  const latencies: number[] = [];
  let sent = 0;
  let applied = 0;
  let rejected = 0;
  let skipped = 0;
  let logged = 0;
  let cursor = 0;
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.round(opts.rate * (opts.seconds + opts.warmupSeconds));
  const measureFrom = Math.round(opts.rate * opts.warmupSeconds);
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // the next event that is free and not finished
    let e: (typeof state)[number] | undefined;
    for (let tries = 0; tries < state.length; tries++) {
      const c = state[cursor++ % state.length]!;
      if (!c.busy && c.step < STEPS.length) {
        e = c;
        break;
      }
    }
    if (!e) {
      if (k >= measureFrom) skipped++;
      continue;
    }
    const ev = e;
    const step = STEPS[ev.step]!;
    ev.busy = true;
    const measured = k >= measureFrom;
    const t0 = performance.now();
    const p = fetch(`${opts.url}/api/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${step.who === 'duty' ? opts.tokens.duty : opts.tokens.unit}` },
      body: JSON.stringify({ clientId: ev.client, mutations: [{ mutationId: ev.step + 1, createdAt: new Date().toISOString(), mutation: { name: 'event/command', eventId: ev.id, command: step.command } }] }),
    })
      .then(async (res) => {
        const body = (await res.json()) as { results?: { status: string; error?: { code: string; message: string } }[] };
        const ms = performance.now() - t0;
        const r = body.results?.[0];
        if (measured) {
          latencies.push(ms);
          sent++;
          if (r?.status === 'applied') applied++;
          else rejected++;
        }
        if (r?.status === 'applied') ev.step++;
        else if (logged++ < 3) log(`command ${String(step.command.type)} rejected: ${JSON.stringify(r?.error ?? body)}`);
      })
      .catch((err: unknown) => {
        if (measured) {
          sent++;
          rejected++;
        }
        if (logged++ < 3) log(`command failed: ${(err as Error).message}`);
      })
      .finally(() => {
        ev.busy = false;
        inflight.delete(p);
      });
    inflight.add(p);
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000 - opts.warmupSeconds;
  return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies), sent, applied, rejected, rate: sent / seconds, skipped };
}

/** The raw baseline: UPDATE the event's document + INSERT an audit row, one transaction per command, at the same rate. */
export async function runRawCommands(opts: { pgUrl: string; events: readonly { id: string; doc: unknown; scope: string | null }[]; rate: number; seconds: number; warmupSeconds: number }): Promise<LatencyRun> {
  const pool = new pg.Pool({ connectionString: opts.pgUrl, max: 10 });
  const latencies: number[] = [];
  let sent = 0;
  let applied = 0;
  let rejected = 0;
  const seq = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.round(opts.rate * (opts.seconds + opts.warmupSeconds));
  const measureFrom = Math.round(opts.rate * opts.warmupSeconds);
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const e = opts.events[k % opts.events.length]!;
    const s = (seq.get(e.id) ?? 1000) + 1;
    seq.set(e.id, s);
    const measured = k >= measureFrom;
    const t0 = performance.now();
    const doc = JSON.stringify(e.doc);
    const entry = JSON.stringify({ eventId: e.id, seq: s, at: new Date().toISOString(), actorId: 'bench', actorName: 'bench', role: 'duty_officer', organisationId: 'district-440114', command: 'sign', from: 'dispatched', to: 'signed', reason: null, reasonCode: null, attachments: [], payload: { type: 'sign' } });
    const p = (async () => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(`UPDATE events SET doc = $2::jsonb, status = status, updated_at = now() WHERE id = $1`, [e.id, doc]);
        await c.query(`INSERT INTO audit (event_id, seq, v, scope, doc, at, command, actor_id) VALUES ($1, $2, 0, $3, $4::jsonb, now(), 'sign', 'bench')`, [e.id, s, e.scope, entry]);
        await c.query('COMMIT');
        if (measured) {
          latencies.push(performance.now() - t0);
          sent++;
          applied++;
        }
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        if (measured) {
          sent++;
          rejected++;
        }
        if (rejected < 3) log(`raw command failed: ${(err as Error).message}`);
      } finally {
        c.release();
      }
    })().finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  await pool.end();
  const seconds = (performance.now() - started) / 1000 - opts.warmupSeconds;
  return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies), sent, applied, rejected, rate: sent / seconds, skipped: 0 };
}
