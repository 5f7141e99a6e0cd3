import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../service/index';
import { DRAIN_MS, superviseChild, type ChildSupervisorOptions, type OutputStream, type SupervisedChild } from './child-supervisor';
import { manualClock } from './test/manual-clock';

/**
 * Real children (plain Node, no tsx: they start in tens of milliseconds), told what to do by their first
 * argument. Every one that gets ready says so with `{"msg":"ready",…}`, after installing its handlers.
 */
const CHILD = `
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
const mode = process.argv[2];
// written at once, as the real children's pino (sync: true): console.log to a pipe is asynchronous, and
// process.exit would drop what is still queued
const out = (text) => {
  const bytes = Buffer.from(text + '\\n');
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(1, bytes, at);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
};
const line = (msg, extra = {}) => out(JSON.stringify({ msg, pid: process.pid, ...extra }));
const hold = setInterval(() => {}, 1000);
const bye = () => {
  clearInterval(hold);
  // a burst bigger than a pipe's buffer, then the last line: read by the time the host says it is gone
  for (let i = 0; i < 2000; i++) out('shutting down ' + String(i).padStart(4, '0') + ' ' + 'x'.repeat(80));
  line('bye');
  process.exit(0);
};
switch (mode) {
  case 'ready':
    process.on('SIGTERM', bye);
    console.error('a warning on stderr');
    line('ready', { value: 42 });
    break;
  case 'crash':
    out('opening the store');
    // a crash trace without a final newline, then the exit
    process.stderr.write('Error: disk on fire\\n    at open (store.ts:1:1)');
    process.exit(3);
    break;
  case 'silent':
    process.on('SIGTERM', bye);
    line('hello');
    break;
  case 'stubborn':
    process.on('SIGTERM', () => line('ignoring SIGTERM'));
    line('ready');
    break;
  case 'dies-after-ready':
    line('ready');
    setTimeout(() => process.exit(7), 20);
    break;
  case 'grandchild': {
    // a grandchild in the child's group, holding the child's stdout and stderr: one that says its last
    // words 300 ms after the child exited, or one that stays
    const words = process.argv[3] === 'last-words';
    const code = words ? "setTimeout(() => { require('fs').writeSync(1, 'last words\\\\n'); process.exit(0); }, 300)" : 'setInterval(() => {}, 1000)';
    const g = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit'] });
    line('ready', { grandchild: g.pid });
    if (process.argv[4] === 'then-exit') setTimeout(() => process.exit(0), 20);
    else process.on('SIGTERM', () => process.exit(0));
    break;
  }
}
`;

let dir: string;
let script: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-supervisor-'));
  script = path.join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** running: not gone, and not a zombie (an orphaned grandchild waits for an init that may reap it late) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE …"
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

interface Entry {
  level: string;
  obj: object;
  msg: string;
}

function recordingLog(): { log: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg: msg ?? '' });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

const started: SupervisedChild<unknown>[] = [];
const strays: number[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) await c.stop();
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** `{"msg":"ready",…}` → its object */
const readyJson = (line: string): Record<string, unknown> | undefined => {
  if (!line.startsWith('{')) return undefined;
  const obj = JSON.parse(line) as Record<string, unknown>;
  return obj.msg === 'ready' ? obj : undefined;
};

function start(mode: string[], more: Partial<ChildSupervisorOptions<Record<string, unknown>>> = {}) {
  const { log, entries } = recordingLog();
  const lines: { line: string; stream: OutputStream }[] = [];
  const child = superviseChild({
    name: 'the test child',
    args: [script, ...mode],
    readyFrom: readyJson,
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 60_000,
    log,
    onLine: (line, stream) => void lines.push({ line, stream }),
    ...more,
  });
  started.push(child);
  return { child, lines, entries };
}

const tick = () => new Promise((r) => setTimeout(r, 50));

describe('superviseChild', () => {
  it('spawns the child, resolves ready with what its ready line says, passes every line on, and stops it with SIGTERM after reading all it printed', async () => {
    const exitListeners = process.listenerCount('exit');
    const { child, lines } = start(['ready']);
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    const value = await child.ready;
    expect(value).toMatchObject({ msg: 'ready', value: 42, pid: child.pid });
    expect(alive(child.pid!)).toBe(true);
    await expect.poll(() => lines.some((l) => l.stream === 'stderr' && l.line === 'a warning on stderr')).toBe(true);

    const exit = await child.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(alive(child.pid!)).toBe(false);
    // all 2,000 lines of its shutdown and its last one, read before stop() resolved ('close', not 'exit')
    expect(lines.filter((l) => l.line.startsWith('shutting down '))).toHaveLength(2000);
    expect(lines.at(-1)!.line).toContain('"msg":"bye"');
    expect(child.tail()).toHaveLength(40);
    expect(child.tail().at(-1)).toContain('"msg":"bye"');
    // no listener left on this process, a second stop is the same answer
    expect(process.listenerCount('exit')).toBe(exitListeners);
    await expect(child.stop()).resolves.toEqual({ code: 0, signal: null });
  });

  it('rejects ready when the child dies first, with its exit and its last output (the last line without a newline too)', async () => {
    const exitListeners = process.listenerCount('exit');
    const onUnexpectedExit: string[] = [];
    const { child, entries } = start(['crash'], { context: () => ' while opening its store', onUnexpectedExit: (d) => void onUnexpectedExit.push(d) });
    await expect(child.ready).rejects.toThrow(
      /^the test child exited before it was ready \(code 3\) while opening its store; last output:\nopening the store\nError: disk on fire\n {4}at open \(store\.ts:1:1\)$/,
    );
    await expect(child.exited).resolves.toEqual({ code: 3, signal: null });
    // said once, by ready's rejection: not also as an unexpected exit
    expect(onUnexpectedExit).toEqual([]);
    expect(entries.filter((e) => e.level === 'error')).toEqual([]);
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });

  it('rejects ready after readyTimeoutMs of silence (the deadline not counting while paused) and leaves stopping it to the caller', async () => {
    const clock = manualClock();
    const { child, lines } = start(['silent'], { clock, readyTimeoutMs: 1000 });
    let settled = false;
    child.ready.then(
      () => (settled = true),
      () => (settled = true),
    );
    // however long the machine takes to start it, the deadline only moves with the clock
    await expect.poll(() => lines.some((l) => l.line.includes('"msg":"hello"'))).toBe(true);
    clock.advance(600);
    child.readyDeadline.pause();
    clock.advance(60_000);
    child.readyDeadline.resume();
    clock.advance(399);
    await tick();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(child.ready).rejects.toThrow(/^the test child did not report ready within 1000 ms; last output:\n\{"msg":"hello"/);
    // still running: the caller decides
    expect(alive(child.pid!)).toBe(true);
    expect(await child.stop()).toEqual({ code: 0, signal: null });
    expect(alive(child.pid!)).toBe(false);
  });

  it('SIGKILLs a child that ignores SIGTERM once stopTimeoutMs has passed, not before', async () => {
    const clock = manualClock();
    const { child, lines, entries } = start(['stubborn'], { clock, stopTimeoutMs: 5000 });
    await child.ready;
    let stopped = false;
    const stopping = child.stop().then((exit) => {
      stopped = true;
      return exit;
    });
    await expect.poll(() => lines.some((l) => l.line.includes('"msg":"ignoring SIGTERM"'))).toBe(true);
    clock.advance(4999);
    await tick();
    expect(stopped).toBe(false);
    expect(alive(child.pid!)).toBe(true);
    clock.advance(1);
    await expect(stopping).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(child.pid!)).toBe(false);
    expect(entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual(['the test child did not stop in time; killing it']);
  });

  it('reports a child that dies after it was ready: logged with its tail, onUnexpectedExit once, no listener left', async () => {
    const exitListeners = process.listenerCount('exit');
    const onUnexpectedExit: string[] = [];
    const { child, entries } = start(['dies-after-ready'], { onUnexpectedExit: (d) => void onUnexpectedExit.push(d) });
    await child.ready;
    await expect(child.exited).resolves.toEqual({ code: 7, signal: null });
    await tick();
    expect(onUnexpectedExit).toEqual(['the test child exited unexpectedly (code 7)']);
    const errors = entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.msg)).toEqual(['the test child exited unexpectedly (code 7)']);
    expect(errors[0]!.obj).toMatchObject({ pid: child.pid, code: 7, tail: [expect.stringContaining('"msg":"ready"')] });
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });

  it("is gone once its output is read ('close', not 'exit'), but waits at most DRAIN_MS for pipes something it started holds open", async () => {
    // output that comes after the child's exit (through a grandchild here) is read before `exited`
    const speaking = start(['grandchild', 'last-words', 'then-exit']);
    strays.push(((await speaking.child.ready) as { grandchild: number }).grandchild);
    await expect(speaking.child.exited).resolves.toEqual({ code: 0, signal: null });
    expect(speaking.lines.at(-1)).toEqual({ line: 'last words', stream: 'stdout' });

    // a grandchild that stays does not hold the child's end back for longer than DRAIN_MS
    const staying = start(['grandchild', 'stays', 'then-exit']);
    strays.push(((await staying.child.ready) as { grandchild: number }).grandchild);
    const t0 = Date.now();
    await expect(staying.child.exited).resolves.toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(DRAIN_MS + 5_000);
  });

  it('keeps its exit handler while a grandchild holds the pipes after the child exited: the host exiting then kills the group', async () => {
    const exitListeners = process.listenerCount('exit');
    const { child } = start(['grandchild', 'stays', 'then-exit']);
    const { grandchild } = (await child.ready) as { grandchild: number };
    strays.push(grandchild);
    // the child has exited (reaped), its output is not read yet: the drain runs
    await expect.poll(() => alive(child.pid!)).toBe(false);
    expect(alive(grandchild)).toBe(true);
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    // what the host's exit would run
    const killOnExit = process.listeners('exit').at(-1) as () => void;
    killOnExit();
    await expect.poll(() => alive(grandchild)).toBe(false);
    await child.exited;
    expect(process.listenerCount('exit')).toBe(exitListeners);
  });

  it('stops the whole process group: what the child started gets SIGTERM too', async () => {
    const { child } = start(['grandchild', 'stays']);
    const { grandchild } = (await child.ready) as { grandchild: number };
    strays.push(grandchild);
    expect(alive(grandchild)).toBe(true);
    await child.stop();
    expect(alive(child.pid!)).toBe(false);
    await expect.poll(() => alive(grandchild)).toBe(false);
  });
});
