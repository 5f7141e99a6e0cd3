/**
 * No event lost, none duplicated, when the data center is killed with SIGKILL in the middle of
 * intake load (issue 3's target): a real data center process (the CLI, through tsx) takes
 * 12345 work orders with unique order numbers from many concurrent senders using the source's
 * API key; it is killed without warning while requests are in flight, restarted on the same data,
 * and the senders re-post every order whose answer they did not receive — as a source system
 * does. Afterwards every order that was acknowledged (before or after the kill) exists exactly
 * once, and the number of events equals the number of distinct orders.
 *
 * PostgreSQL (a throwaway cluster) and an embedded PGlite directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoApiKey } from '../../../src/datacenter/auth';
import { openDatabase } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'src/datacenter/cli.ts');
const KEY = demoApiKey('hotline_12345');
/** concurrent senders */
const SENDERS = 24;
/** acknowledged orders before the kill */
const KILL_AFTER = 250;
/** orders in all */
const ORDERS = 600;

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the CLI directly under node (so the pid is the server's) and waits for its ready line. */
async function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"data center ready"/.exec(out);
    if (m) return { child, url: m[1]!, output: () => out };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`data center did not start (exit ${child.exitCode}):\n${out.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function order(i: number): Record<string, unknown> {
  return {
    orderNo: `KILL-${String(i).padStart(5, '0')}`,
    appealType: '投诉',
    content: `第${i}号工单：夜间施工噪音扰民`,
    classification: '噪声扰民',
    longitude: 113.22 + (i % 50) * 0.0005,
    latitude: 23.39 + Math.floor(i / 50) * 0.0004,
    coordinateSystem: 'wgs84',
    acceptedAt: new Date(Date.now() - 60_000).toISOString(),
  };
}

type Answer = { kind: 'ok'; eventId: string; status: number } | { kind: 'retry'; why: string };

async function post(url: string, body: string): Promise<Answer> {
  try {
    const res = await fetch(`${url}/api/v1/intake/hotline_12345`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body, signal: AbortSignal.timeout(30_000) });
    const json = (await res.json()) as { ok: boolean; value?: { eventId: string }; error?: { code: string; message: string } };
    if (res.status === 201 || res.status === 200) return { kind: 'ok', eventId: json.value!.eventId, status: res.status };
    return { kind: 'retry', why: `${res.status} ${json.error?.code}: ${json.error?.message}` };
  } catch (err) {
    return { kind: 'retry', why: (err as Error).message };
  }
}

function killScenario(title: string, setup: () => Promise<{ args: string[]; open: () => ReturnType<typeof openDatabase>; cleanup: () => Promise<void> }>) {
  describe(title, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      env = await setup();
    }, 120_000);
    afterAll(async () => {
      await env?.cleanup();
    });

    it('SIGKILL mid-load, restart, re-post the unanswered: every acknowledged order exists once, none twice', async () => {
      const bodies = Array.from({ length: ORDERS }, (_, i) => JSON.stringify(order(i)));
      /** order index → the event id of an answer received */
      const acked = new Map<number, string>();
      const first = await startCli(env.args);
      let next = 0;
      let killed = false;
      let inFlightAtKill = 0;
      let inFlight = 0;
      const sender = async () => {
        while (!killed && next < ORDERS) {
          const i = next++;
          inFlight++;
          const a = await post(first.url, bodies[i]!);
          inFlight--;
          if (a.kind === 'ok') acked.set(i, a.eventId);
          if (!killed && acked.size >= KILL_AFTER) {
            killed = true;
            inFlightAtKill = inFlight;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: SENDERS }, sender));
      await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve())));
      expect(first.child.signalCode).toBe('SIGKILL');
      expect(inFlightAtKill).toBeGreaterThan(0);
      const ackedBeforeKill = new Map(acked);

      // restart on the same data; the senders re-post everything without an answer (and send the rest)
      const second = await startCli(env.args);
      try {
        const pending = Array.from({ length: ORDERS }, (_, i) => i).filter((i) => !acked.has(i));
        const retries: string[] = [];
        const deadline = Date.now() + 120_000; // a claim orphaned by the kill is taken over after 30 s
        const resend = async () => {
          for (let i = pending.shift(); i !== undefined; i = pending.shift()) {
            for (;;) {
              const a = await post(second.url, bodies[i]!);
              if (a.kind === 'ok') {
                // an order acknowledged before the kill must come back as the same event
                if (ackedBeforeKill.has(i)) expect(a.eventId).toBe(ackedBeforeKill.get(i));
                acked.set(i, a.eventId);
                break;
              }
              retries.push(a.why);
              if (Date.now() > deadline) throw new Error(`order ${i} never accepted: ${a.why}\n${second.output().slice(-2000)}`);
              await new Promise((r) => setTimeout(r, 500));
            }
          }
        };
        await Promise.all(Array.from({ length: SENDERS }, resend));
        // re-posting an order acknowledged before the kill answers the same event (a source's retry)
        for (const i of [...ackedBeforeKill.keys()].slice(0, 20)) {
          const a = await post(second.url, bodies[i]!);
          expect(a).toMatchObject({ kind: 'ok', status: 200, eventId: ackedBeforeKill.get(i) });
        }
        expect(acked.size).toBe(ORDERS);
        // on PostgreSQL a claim orphaned by the kill answers 409 until it is 30 s old, then is taken over
        for (const why of retries) expect(why).toMatch(/^409 conflict|fetch failed|ECONNRE/);
      } finally {
        second.child.kill('SIGTERM');
        await new Promise<void>((resolve) => (second.child.exitCode !== null ? resolve() : second.child.once('exit', () => resolve())));
      }

      const store = await env.open();
      try {
        const rows = rowsOf<{ id: string; external_id: string }>(await store.db.execute(sql`select id, external_id from events where external_system = '12345' and external_id like 'KILL-%'`));
        const byRef = new Map<string, string[]>();
        for (const r of rows) byRef.set(r.external_id, [...(byRef.get(r.external_id) ?? []), r.id]);
        // none duplicated: one event per order, and as many events as distinct orders
        expect([...byRef.values()].filter((ids) => ids.length > 1)).toEqual([]);
        expect(rows.length).toBe(byRef.size);
        expect(byRef.size).toBe(ORDERS);
        // none lost: every acknowledged answer names the event that exists for its order
        for (const [i, eventId] of acked) expect(byRef.get(`KILL-${String(i).padStart(5, '0')}`)).toEqual([eventId]);
        // the claims agree with the events
        const [claims] = rowsOf<{ n: number; open: number }>(
          await store.db.execute(sql`select count(*)::int as n, count(*) filter (where event_id is null)::int as open from external_refs where system = '12345' and ref_id like 'KILL-%'`),
        );
        expect(claims).toEqual({ n: ORDERS, open: 0 });
      } finally {
        await store.close();
      }
    }, 600_000);
  });
}

killScenario('SIGKILL under intake load [postgres]', async () => {
  const cluster: PgCluster = await startPgCluster();
  const url = await cluster.createDatabase();
  return {
    args: ['--pg', url, '--seed', 'demo'],
    open: () => openDatabase({ pg: url, migrate: false }),
    cleanup: () => cluster.stop(),
  };
});

killScenario('SIGKILL under intake load [pglite directory]', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-kill-'));
  return {
    args: ['--data', dir],
    open: () => openDatabase({ dataDir: dir, migrate: false }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
