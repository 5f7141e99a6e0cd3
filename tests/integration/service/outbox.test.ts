/**
 * The outbox end to end against the fake feed: a command is written with its
 * overlay in one transaction, pushed oldest first, marked sent by the answer
 * and settled only by the feed's ack; rejections wait for the officer;
 * commands queued offline all land once after reconnect; re-pushes after a
 * lost answer or a restart are applied once by the server and confirmed
 * once here; acks skipped by a re-snapshot are recovered from the answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseEvent, type Mutation, type OutboxEntry, type OutboxList } from '../../../src/core/index';
import { startFakeFeed, type FakeFeedServer } from './fake-feed-server';
import { eventChange, makeEvent, referenceChanges, serviceOn, tempDir, workflowHandler, type Harness } from './feed-fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function feed(): Promise<FakeFeedServer> {
  const f = await startFakeFeed({ onMutation: workflowHandler });
  cleanups.push(() => f.close());
  f.commit(referenceChanges());
  f.commit(Array.from({ length: 30 }, (_, i) => eventChange(makeEvent(`e${i + 1}`, { status: 'filed' }))));
  return f;
}

const dispatch = (eventId: string): Mutation => ({ name: 'event/command', eventId, command: { type: 'dispatch', leadUnitId: 'dept-cg', assistingUnitIds: [], clocks: [], attachments: [] } });

function states(h: Harness): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of h.events.filter((x) => x.name === 'outbox/changed')) {
    for (const entry of (parseEvent('outbox/changed', e.payload) as OutboxList).entries) out.set(entry.mutationId, [...(out.get(entry.mutationId) ?? []), entry.state]);
  }
  return out;
}

const statusOf = (h: Harness, id: string) => h.svc.replica.sqlite.prepare("SELECT status FROM events WHERE key = ?").pluck().get(id);

describe('outbox', () => {
  it('writes the command with its overlay, pushes it, and confirms it only when the feed acks it', async () => {
    const f = await feed();
    f.paused = true; // the feed holds batches back: the answer alone must not confirm
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { sync: { autoStart: false } });
    f.paused = false;
    expect(await h.svc.syncNow()).toBe('live');
    f.paused = true;

    const { mutationId, clientId, entry } = await h.svc.handlers['commands/submit']({ mutation: dispatch('e1') });
    expect(mutationId).toBe(1);
    expect(clientId).toBe(h.svc.clientId);
    expect(entry).toMatchObject({ state: 'queued', eventId: 'e1', error: null });
    const overlay = h.svc.replica.sqlite.prepare('SELECT overlay FROM pending_overlay WHERE mutation_id = 1').pluck().get() as string;
    expect(JSON.parse(overlay)).toMatchObject({ eventId: 'e1', command: 'dispatch', expectedStatus: 'dispatched' });

    expect(await h.svc.pushNow()).toBe('pushed');
    expect(f.pushes).toEqual([{ clientId: h.svc.clientId, mutationIds: [1] }]);
    expect(h.svc.handlers['outbox/list']({ limit: 10 })).toMatchObject({ entries: [{ mutationId: 1, state: 'sent' }], offline: false });
    expect(statusOf(h, 'e1')).toBe('filed');

    f.release();
    await expect.poll(() => (h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries[0]!.state).toBe('confirmed');
    expect(statusOf(h, 'e1')).toBe('dispatched');
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM pending_overlay').pluck().get()).toBe(0);
    expect(states(h).get(1)).toEqual(['queued', 'sent', 'confirmed']);
    const changed = h.events.filter((e) => e.name === 'events/changed').map((e) => e.payload as { ids: string[] });
    expect(changed.filter((c) => c.ids.includes('e1')).length).toBeGreaterThanOrEqual(2); // the overlay, then the confirmed row
  });

  it('keeps a rejected command, with its reason, until the officer dismisses it', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    const { mutationId } = await h.svc.handlers['commands/submit']({ mutation: { name: 'event/command', eventId: 'e2', command: { type: 'close', attachments: [] } } });
    await expect.poll(() => h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).toMatchObject({
      entries: [{ mutationId, state: 'rejected', error: { code: 'illegal_transition' } }],
    });
    expect(statusOf(h, 'e2')).toBe('filed');
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM pending_overlay').pluck().get()).toBe(0);
    // still there after a while: nothing is dropped silently
    await new Promise((r) => setTimeout(r, 200));
    expect((h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries[0]!.state).toBe('rejected');
    const dismissed = (await h.svc.handlers['outbox/dismiss']({ mutationId })) as OutboxEntry;
    expect(dismissed.state).toBe('dismissed');
    expect((h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries).toEqual([]);
  });

  it('refuses to dismiss a command that is not settled, and a command on an event the replica lacks', async () => {
    const f = await feed();
    await f.down();
    const dir = tempDir(cleanups);
    const h = await serviceOn(f, dir, cleanups, { sync: { autoStart: false } });
    await f.up();
    expect(await h.svc.syncNow()).toBe('live');
    await f.down();
    const { mutationId } = await h.svc.handlers['commands/submit']({ mutation: dispatch('e1') });
    await expect(async () => h.svc.handlers['outbox/dismiss']({ mutationId })).rejects.toMatchObject({ code: 'conflict' });
    await expect(async () => h.svc.handlers['commands/submit']({ mutation: dispatch('nope') })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lands every dispatch an officer queued offline, once each and in order, after reconnect', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { sync: { retryInitialMs: 20, retryMaxMs: 50 } });
    expect(await h.svc.syncNow()).toBe('live');
    await f.down();
    await expect.poll(() => h.svc.syncStatus().state).toBe('offline');
    for (let i = 1; i <= 25; i++) await h.svc.handlers['commands/submit']({ mutation: dispatch(`e${i}`) });
    const offline = h.svc.handlers['outbox/list']({ limit: 100 }) as OutboxList;
    expect(offline.offline).toBe(true);
    expect(offline.entries.every((e) => e.state === 'queued')).toBe(true);
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM pending_overlay').pluck().get()).toBe(25);

    await f.up();
    await expect.poll(() => (h.svc.handlers['outbox/list']({ limit: 100 }) as OutboxList).entries.filter((e) => e.state === 'confirmed').length, { timeout: 10_000 }).toBe(25);
    const pushed = f.pushes.flatMap((p) => p.mutationIds);
    expect(new Set(pushed)).toEqual(new Set(Array.from({ length: 25 }, (_, i) => i + 1)));
    expect([...f.results.keys()]).toEqual(Array.from({ length: 25 }, (_, i) => `${h.svc.clientId}:${i + 1}`)); // processed once each, in order
    for (let i = 1; i <= 25; i++) expect(statusOf(h, `e${i}`)).toBe('dispatched');
    for (const [, s] of states(h)) expect(s.filter((x) => x === 'confirmed')).toHaveLength(1);
  });

  it('re-pushes after a lost answer and a restart: applied once by the server, confirmed once here', async () => {
    const f = await feed();
    const dir = tempDir(cleanups);
    const first = await serviceOn(f, dir, cleanups, { sync: { autoStart: false } });
    expect(await first.svc.syncNow()).toBe('live');
    f.commandsStatus = 503; // the server takes nothing
    await first.svc.handlers['commands/submit']({ mutation: dispatch('e1') });
    await first.svc.handlers['commands/submit']({ mutation: dispatch('e2') });
    expect(await first.svc.pushNow()).toBe('failed');
    f.commandsStatus = null;
    f.paused = true; // the server applies, but the acks do not reach this client before it dies
    expect(await first.svc.pushNow()).toBe('pushed');
    await first.svc.close();
    expect([...f.results.values()].map((r) => r.status)).toEqual(['applied', 'applied']);

    f.release();
    f.dropLiveClients();
    const second = await serviceOn(f, dir, cleanups);
    expect(second.svc.clientId).toBe(first.svc.clientId);
    await expect.poll(() => (second.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries.map((e) => e.state), { timeout: 5000 }).toEqual(['confirmed', 'confirmed']);
    expect(f.results.size).toBe(2); // no second application
    expect(f.log.filter((v) => v.acks.length > 0)).toHaveLength(2);
    // a pushed-again duplicate changes nothing
    await second.svc.pushNow();
    for (const [, s] of states(second)) expect(s.filter((x) => x === 'confirmed')).toHaveLength(1);
  });

  it('settles from the answer when a re-snapshot skipped the batch that carried the ack', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { sync: { autoStart: false } });
    expect(await h.svc.syncNow()).toBe('live');
    f.withholdAcks = true;
    f.paused = true; // the answer comes before the batch
    await h.svc.handlers['commands/submit']({ mutation: dispatch('e3') });
    expect(await h.svc.pushNow()).toBe('pushed');
    f.release();
    await expect.poll(() => statusOf(h, 'e3')).toBe('dispatched'); // the effect arrived, the ack did not
    expect((h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries[0]!.state).toBe('sent');
    f.sendFrame({ t: 'must_refetch', reason: 'expired' });
    await expect.poll(() => (h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries[0]!.state, { timeout: 5000 }).toBe('confirmed');
    expect(f.results.size).toBe(1);
  });
});
