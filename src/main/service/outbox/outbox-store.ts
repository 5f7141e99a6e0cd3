/**
 * The outbox: every command of this desktop from the moment the officer
 * submits it until the data center's change feed settles it. The entry and
 * its pending overlay are written in one transaction on the replica (WAL,
 * `synchronous=FULL`), so a submitted command survives a crash or a power
 * cut, and is never half there.
 *
 * States: queued (not yet accepted by the data center; "queued offline"
 * while the link is down) → sent (the data center answered the push) →
 * confirmed | rejected (the FEED's ack, in the same transaction as the batch
 * that carries the effect) → dismissed (the officer has seen a rejection).
 * The HTTP answer alone never settles an entry, except when its version is
 * already inside the replica (the ack went by before the answer, or a
 * re-snapshot skipped the batch that carried it): then the effect is there
 * and settling is safe. A settled entry never changes again, so a replayed
 * ack cannot confirm twice.
 */
import type Database from 'better-sqlite3';
import { HuyingError, type CommandAck, type EventStatus, type Mutation, type OutboxEntry, type OutboxState } from '../../../core/index';
import { connectionOf, type ConnectionLike, type ReplicaConnection } from '../store/connection';
import { overlayOf, type PendingOverlay } from './overlay';

interface Raw {
  mutation_id: number;
  client_id: string;
  created_at: string;
  mutation: string;
  event_id: string | null;
  state: OutboxState;
  error: string | null;
  sent_at: string | null;
  acked_v: number | null;
  updated_at: string;
}

export interface PushItem {
  mutationId: number;
  createdAt: string;
  mutation: Mutation;
  state: 'queued' | 'sent';
  sentAt: string | null;
}

export class OutboxStore {
  private readonly connection: ReplicaConnection;

  /** `connection`: the replica's (read at each use: an image renamed into place reopens it, store/connection.ts) */
  constructor(
    connection: ConnectionLike,
    readonly clientId: string,
  ) {
    this.connection = connectionOf(connection);
  }

  private get sqlite(): Database.Database {
    return this.connection.sqlite;
  }

  /** Writes the entry and its overlay in one transaction; returns the entry. */
  submit(mutation: Mutation, at: string): { entry: OutboxEntry; overlay: PendingOverlay | null } {
    return this.sqlite.transaction(() => {
      let current: { parkedFrom: EventStatus | null } | null = null;
      if (mutation.name === 'event/command') {
        const doc = this.sqlite
          .prepare('SELECT json_extract(d.doc, ?) FROM events e JOIN events_doc d ON d.rid = e.rid WHERE e.key = ?')
          .pluck()
          .get('$.workflow.parkedFrom', mutation.eventId) as
          | EventStatus
          | null
          | undefined;
        if (doc === undefined) throw new HuyingError('not_found', `event ${mutation.eventId} is not in this replica`);
        current = { parkedFrom: doc };
      }
      const info = this.sqlite
        .prepare("INSERT INTO outbox (client_id, created_at, mutation, event_id, state, updated_at) VALUES (?, ?, ?, ?, 'queued', ?)")
        .run(this.clientId, at, JSON.stringify(mutation), mutation.name === 'event/command' ? mutation.eventId : null, at);
      const mutationId = Number(info.lastInsertRowid);
      const o = overlayOf(mutation, current);
      let overlay: PendingOverlay | null = null;
      if (o) {
        overlay = { ...o, mutationId, createdAt: at };
        this.sqlite.prepare('INSERT INTO pending_overlay (mutation_id, event_id, overlay, created_at) VALUES (?, ?, ?, ?)').run(mutationId, o.eventId, JSON.stringify(overlay), at);
      }
      return { entry: this.get(mutationId)!, overlay };
    }).immediate();
  }

  get(mutationId: number): OutboxEntry | null {
    const r = this.sqlite.prepare('SELECT * FROM outbox WHERE mutation_id = ?').get(mutationId) as Raw | undefined;
    return r ? toEntry(r) : null;
  }

  list(states: readonly OutboxState[] | undefined, limit: number): OutboxEntry[] {
    const wanted = states && states.length > 0 ? states : (['queued', 'sent', 'rejected', 'confirmed'] as const);
    const rows = this.sqlite
      .prepare(`SELECT * FROM outbox WHERE state IN (${wanted.map(() => '?').join(', ')}) ORDER BY mutation_id DESC LIMIT ?`)
      .all(...wanted, limit) as Raw[];
    return rows.map(toEntry);
  }

  /** Entries the pusher should send, oldest first: queued ones, and sent ones when `resendSent`. */
  toPush(limit: number, resendSentBefore: string | null): PushItem[] {
    const rows = this.sqlite
      .prepare(
        `SELECT * FROM outbox WHERE state = 'queued' OR (state = 'sent' AND ? IS NOT NULL AND sent_at <= ?) ORDER BY mutation_id LIMIT ?`,
      )
      .all(resendSentBefore, resendSentBefore, limit) as Raw[];
    return rows.map((r) => ({ mutationId: r.mutation_id, createdAt: r.created_at, mutation: JSON.parse(r.mutation) as Mutation, state: r.state as 'queued' | 'sent', sentAt: r.sent_at }));
  }

  pendingCount(): number {
    return this.sqlite.prepare("SELECT count(*) FROM outbox WHERE state IN ('queued', 'sent')").pluck().get() as number;
  }

  /** The data center answered a push: queued → sent. Returns the ids that changed. */
  markSent(mutationIds: readonly number[], at: string): number[] {
    const stmt = this.sqlite.prepare("UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ? WHERE mutation_id = ? AND state IN ('queued', 'sent')");
    const changed: number[] = [];
    this.sqlite.transaction(() => {
      for (const id of mutationIds) {
        const before = this.sqlite.prepare('SELECT state FROM outbox WHERE mutation_id = ?').pluck().get(id);
        if (stmt.run(at, at, id).changes > 0 && before === 'queued') changed.push(id);
      }
    })();
    return changed;
  }

  /**
   * Settles one entry from an ack (call inside the transaction of the batch
   * that carried it, or of the check that its version is in the replica).
   * Only queued or sent entries change: a replayed ack is a no-op.
   */
  settle(ack: CommandAck, at: string): { changed: boolean; eventId: string | null } {
    if (ack.clientId !== this.clientId) return { changed: false, eventId: null };
    const state = ack.status === 'applied' ? 'confirmed' : 'rejected';
    const error = ack.error ? JSON.stringify({ code: ack.error.code, message: ack.error.message }) : null;
    const changes = this.sqlite
      .prepare("UPDATE outbox SET state = ?, error = ?, acked_v = ?, updated_at = ? WHERE mutation_id = ? AND client_id = ? AND state IN ('queued', 'sent')")
      .run(state, error, ack.v, at, ack.mutationId, this.clientId).changes;
    if (changes === 0) return { changed: false, eventId: null };
    const eventId = this.sqlite.prepare('SELECT event_id FROM outbox WHERE mutation_id = ?').pluck().get(ack.mutationId) as string | null;
    this.sqlite.prepare('DELETE FROM pending_overlay WHERE mutation_id = ?').run(ack.mutationId);
    return { changed: true, eventId };
  }

  /** The officer has seen a settled entry. Queued or sent entries cannot be dismissed: nothing is dropped silently. */
  dismiss(mutationId: number, at: string): OutboxEntry {
    const entry = this.get(mutationId);
    if (!entry || entry.state === 'dismissed') throw new HuyingError('not_found', `no outbox entry ${mutationId} to dismiss`);
    if (entry.state === 'queued' || entry.state === 'sent') {
      throw new HuyingError('conflict', `command ${mutationId} is still ${entry.state}; it can be dismissed once the data center has confirmed or rejected it`);
    }
    this.sqlite.prepare("UPDATE outbox SET state = 'dismissed', updated_at = ? WHERE mutation_id = ?").run(at, mutationId);
    return this.get(mutationId)!;
  }

  overlays(eventIds?: readonly string[]): PendingOverlay[] {
    const rows = (
      eventIds
        ? this.sqlite.prepare(`SELECT overlay FROM pending_overlay WHERE event_id IN (${eventIds.map(() => '?').join(', ')}) ORDER BY mutation_id`).all(...eventIds)
        : this.sqlite.prepare('SELECT overlay FROM pending_overlay ORDER BY mutation_id').all()
    ) as { overlay: string }[];
    return rows.map((r) => JSON.parse(r.overlay) as PendingOverlay);
  }
}

function toEntry(r: Raw): OutboxEntry {
  return {
    mutationId: r.mutation_id,
    clientId: r.client_id,
    createdAt: r.created_at,
    mutation: JSON.parse(r.mutation) as Mutation,
    eventId: r.event_id,
    state: r.state,
    error: r.error ? (JSON.parse(r.error) as { code: string; message: string }) : null,
    sentAt: r.sent_at,
    ackedV: r.acked_v,
    updatedAt: r.updated_at,
  };
}
