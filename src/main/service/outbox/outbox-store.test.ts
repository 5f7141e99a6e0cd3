/**
 * The outbox store on its own: ids strictly increasing from 1 and never
 * reused; an ack settles an entry once whatever the order acks arrive in,
 * a replayed or foreign ack changes nothing, the overlay goes with the
 * settlement; markSent never downgrades a settled entry; dismissal only of
 * settled entries.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CommandAck, Mutation } from '../../../core/index';
import { migrate } from '../store/migrate';
import { clientIdOf } from '../store/preferences';
import { OutboxStore } from './outbox-store';

const AT = '2026-11-26T08:00:00.000Z';

function store() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  const rid = db
    .prepare(
      `INSERT INTO events (key, v, status, is_open, source, urgency, reported_at, created_at, updated_at, title, pending_extension)
       VALUES ('e1', 1, 'parked', 1, 'api', 'normal', 0, 0, 0, 't', 0)`,
    )
    .run().lastInsertRowid;
  // the document apart (migration 0008): the overlay's predicted status reads parkedFrom from it
  db.prepare(`INSERT INTO events_doc (rid, doc) VALUES (?, '{"workflow":{"parkedFrom":"in_progress"}}')`).run(rid);
  return { db, outbox: new OutboxStore(db, clientIdOf(db)) };
}

const unpark: Mutation = { name: 'event/command', eventId: 'e1', command: { type: 'unpark', attachments: [] } };
const ack = (clientId: string, mutationId: number, status: 'applied' | 'rejected', v: number): CommandAck => ({
  clientId,
  mutationId,
  status,
  error: status === 'rejected' ? { code: 'illegal_transition', message: 'no' } : null,
  v,
});

describe('outbox store', () => {
  it('keeps one client id per database', () => {
    const { db, outbox } = store();
    expect(outbox.clientId).toMatch(/^desktop-[0-9a-f-]{36}$/);
    expect(clientIdOf(db)).toBe(outbox.clientId);
  });

  it('writes the entry and its overlay together, with the predicted status', () => {
    const { outbox } = store();
    const { entry, overlay } = outbox.submit(unpark, AT);
    expect(entry).toMatchObject({ mutationId: 1, state: 'queued', eventId: 'e1', sentAt: null });
    expect(overlay).toEqual({ eventId: 'e1', command: 'unpark', expectedStatus: 'in_progress', mutationId: 1, createdAt: AT });
    expect(outbox.overlays(['e1'])).toEqual([overlay]);
    expect(outbox.submit({ name: 'wall/ack', alertId: 'a' }, AT).overlay).toBeNull();
  });

  it('settles once whatever order the acks come in; replayed and foreign acks change nothing', () => {
    const { outbox } = store();
    for (let i = 0; i < 3; i++) outbox.submit(unpark, AT);
    expect(outbox.markSent([1, 2, 3], AT)).toEqual([1, 2, 3]);
    expect(outbox.settle(ack(outbox.clientId, 3, 'applied', 9), AT)).toEqual({ changed: true, eventId: 'e1' });
    expect(outbox.settle(ack(outbox.clientId, 1, 'rejected', 7), AT).changed).toBe(true);
    expect(outbox.settle(ack(outbox.clientId, 3, 'rejected', 12), AT).changed).toBe(false); // replay with another result
    expect(outbox.settle(ack('desktop-other', 2, 'applied', 8), AT).changed).toBe(false);
    expect(outbox.markSent([1, 3], AT)).toEqual([]); // a late answer does not downgrade
    expect(outbox.list(undefined, 10).map((e) => [e.mutationId, e.state, e.ackedV, e.error?.code ?? null])).toEqual([
      [3, 'confirmed', 9, null],
      [2, 'sent', null, null],
      [1, 'rejected', 7, 'illegal_transition'],
    ]);
    expect(outbox.overlays().map((o) => o.mutationId)).toEqual([2]);
  });

  it('pushes queued entries oldest first, and sent ones only when asked to resend', () => {
    const { outbox } = store();
    for (let i = 0; i < 4; i++) outbox.submit(unpark, AT);
    outbox.markSent([1, 2], '2026-11-26T08:00:01.000Z');
    expect(outbox.toPush(10, null).map((p) => p.mutationId)).toEqual([3, 4]);
    expect(outbox.toPush(10, '2026-11-26T08:00:05.000Z').map((p) => p.mutationId)).toEqual([1, 2, 3, 4]);
    expect(outbox.toPush(2, '2026-11-26T08:00:05.000Z').map((p) => p.mutationId)).toEqual([1, 2]);
  });

  it('dismisses settled entries only', () => {
    const { outbox } = store();
    outbox.submit(unpark, AT);
    expect(() => outbox.dismiss(1, AT)).toThrow(/still queued/);
    outbox.settle(ack(outbox.clientId, 1, 'rejected', 3), AT);
    expect(outbox.dismiss(1, AT).state).toBe('dismissed');
    expect(() => outbox.dismiss(1, AT)).toThrow(/no outbox entry/);
    expect(outbox.list(undefined, 10)).toEqual([]);
    expect(outbox.list(['dismissed'], 10)).toHaveLength(1);
  });

  it('refuses a command on an event the replica does not hold, writing nothing', () => {
    const { db, outbox } = store();
    expect(() => outbox.submit({ name: 'event/command', eventId: 'nope', command: { type: 'verify', attachments: [] } }, AT)).toThrow(/not in this replica/);
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
  });
});
