/**
 * The outbox's writing requests while the replica's writes are held (a replica image being switched in): held in
 * memory in the order they came, written once when the hold ends, each answer or error to its own caller; a
 * request that comes after the hold ended but while earlier ones still wait goes behind them; a second hold that
 * begins before the queue ran is waited out too. Without a hold they are written at once, as before.
 */
import { afterEach, expect, it } from 'vitest';
import type { Mutation } from '../../../core/index';
import { systemClock } from '../clock';
import { openReplica, type Replica } from '../store/open';
import { clientIdOf } from '../store/preferences';
import { createOutboxHandlers } from './outbox-handlers';
import { OutboxStore } from './outbox-store';

const open: Replica[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

function handlers() {
  const r = openReplica({ file: ':memory:' });
  open.push(r);
  const outbox = new OutboxStore(r.sqlite, clientIdOf(r.sqlite));
  let hold: Promise<void> | null = null;
  let release: () => void = () => undefined;
  const changed: number[] = [];
  const h = createOutboxHandlers({
    outbox,
    clock: systemClock,
    offline: () => false,
    changed: (entries) => changed.push(...entries.map((e) => e.mutationId)),
    kick: () => undefined,
    writesHeld: () => hold,
  });
  const startHold = () => {
    hold = new Promise<void>((resolve) => {
      release = () => {
        hold = null;
        resolve();
      };
    });
  };
  const alerts = () => (r.sqlite.prepare('SELECT mutation FROM outbox ORDER BY mutation_id').pluck().all() as string[]).map((m) => (JSON.parse(m) as { alertId: string }).alertId);
  return { h, outbox, startHold, release: () => release(), alerts, changed };
}

const ack = (alertId: string): { mutation: Mutation } => ({ mutation: { name: 'wall/ack', alertId } });

it('writes at once when nothing holds the writes', () => {
  const t = handlers();
  const answer = t.h['commands/submit'](ack('a'));
  expect(answer).not.toBeInstanceOf(Promise);
  expect(t.alerts()).toEqual(['a']);
});

it('holds submissions in order until the hold ends, then writes each once', async () => {
  const t = handlers();
  await t.h['commands/submit'](ack('first'));
  t.startHold();
  const a = t.h['commands/submit'](ack('a'));
  const b = t.h['commands/submit'](ack('b'));
  expect(a).toBeInstanceOf(Promise);
  await new Promise((r) => setTimeout(r, 20));
  expect(t.alerts()).toEqual(['first']);
  t.release();
  expect((await a).mutationId).toBe(2);
  expect((await b).mutationId).toBe(3);
  expect(t.alerts()).toEqual(['first', 'a', 'b']);
  expect(t.changed).toEqual([1, 2, 3]);
});

it('puts a request that comes while earlier ones wait behind them, and waits out a hold that begins again', async () => {
  const t = handlers();
  t.startHold();
  const a = t.h['commands/submit'](ack('a'));
  t.release();
  // the hold ended, but `a` has not run yet (it runs once the hold's promise settles): `b` goes behind it
  const b = t.h['commands/submit'](ack('b'));
  expect(b).toBeInstanceOf(Promise);
  t.startHold();
  await new Promise((r) => setTimeout(r, 20));
  expect(t.alerts()).toEqual([]);
  t.release();
  await Promise.all([a, b]);
  expect(t.alerts()).toEqual(['a', 'b']);
});

it('holds a dismissal too, and gives a held request’s error to its caller; the ones behind it still run', async () => {
  const t = handlers();
  t.startHold();
  const a = t.h['commands/submit'](ack('a'));
  // held, then run after `a`: `a` is still queued, which a dismissal refuses
  const dismissal = t.h['outbox/dismiss']({ mutationId: 1 });
  const b = t.h['commands/submit'](ack('b'));
  expect(dismissal).toBeInstanceOf(Promise);
  t.release();
  await expect(dismissal).rejects.toThrow(/command 1 is still queued/);
  expect((await a).mutationId).toBe(1);
  expect((await b).mutationId).toBe(2);
});
