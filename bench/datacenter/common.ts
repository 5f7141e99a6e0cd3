/**
 * What the data-center benchmarks share: a data center as a separate process (the real CLI under
 * node + tsx, so the load generator never competes with the server for its event loop), demo
 * tokens and API keys, percentiles, and the machine's load (a busy 2-core machine moves every
 * figure, which is why each comes with a baseline measured in the same run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEMO_PASSWORD } from '../../src/datacenter/auth';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'src/datacenter/cli.ts');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** log lines so far (stdout + stderr) */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `npm run datacenter` (without npm: node --import tsx) on a free port and waits until
 * `/healthz` answers. It logs at warn only: per-request lines on a synchronous stdout would cost
 * the server time the benchmark would then count.
 */
export async function startServer(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', CLI, '--port', String(port), ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) {
      return {
        url,
        child,
        output: () => out,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
          }),
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`data center did not start (exit ${child.exitCode}):\n${out.slice(-4000)}`);
    await sleep(200);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A demo account's access token. */
export async function login(url: string, login: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password: DEMO_PASSWORD }) });
  if (res.status !== 200) throw new Error(`login ${login}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { value: { accessToken: string } }).value.accessToken;
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** "load 3.2 / 2 cores" for the notes of a figure. */
export function loadNote(): string {
  return `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
}

export function log(message: string): void {
  process.stderr.write(`[bench:datacenter] ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (0 when it is gone). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command name (which may hold spaces) start at ") "
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

/** CPU seconds used so far by a PostgreSQL cluster's server processes (the postmaster's children: backends and helpers). */
export function clusterCpuSeconds(clusterDir: string): number {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(clusterDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  // the postmaster's own CPU and that of its children already gone (a pool closes idle backends)
  let total = processCpuSeconds(postmaster);
  try {
    const stat = readFileSync(`/proc/${postmaster}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    // gone
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
