/**
 * In-process news of committed versions: `writeReplicated` publishes each
 * version here AFTER its transaction committed, with the ops it logged and the
 * command acks it stored, so the live feed can serve subscribers that are
 * current from memory instead of asking the database once per subscriber.
 *
 * One notifier per drizzle database object (a WeakMap, so a closed test
 * database takes its notifier with it). Publishing is best effort: a version
 * another process wrote, or one whose publication was lost (the commit
 * succeeded but its answer did not arrive), is found by the hub's poll of
 * `sync_version` and read from the database instead (src/datacenter/sync/hub.ts).
 */
import { EventEmitter } from 'node:events';
import type { CommandAck, ReplicatedTable } from '../../core';

/** One op as change_log holds it, with the document already serialised. */
export interface LoggedOp {
  table: ReplicatedTable;
  key: string;
  op: 'upsert' | 'delete';
  v: number;
  /** the row's scope after an upsert; for a delete, the scope the row had */
  scope: string | null;
  /** the row's scope before the op (null when new or district-wide) */
  prevScope: string | null;
  /** an existing row changed scope: clients of prevScope must delete it */
  moved: boolean;
  /** JSON text of the document (upserts), null for deletes */
  rowJson: string | null;
}

/** A committed version as the live feed needs it. */
export interface CommittedVersion {
  v: number;
  ops: LoggedOp[];
  /** results of commands stored in this version (one per command of the batch that wrote it) */
  acks: CommandAck[];
}

export interface SyncNotifier {
  publish(version: CommittedVersion): void;
  onCommit(listener: (version: CommittedVersion) => void): () => void;
  /** the database got a new epoch (bumpEpoch): every live client must re-snapshot */
  publishEpoch(epoch: string): void;
  onEpoch(listener: (epoch: string) => void): () => void;
}

const notifiers = new WeakMap<object, SyncNotifier>();

export function syncNotifier(db: object): SyncNotifier {
  let n = notifiers.get(db);
  if (!n) {
    const emitter = new EventEmitter();
    // every live subscriber's hub listens once per database, tests open many
    emitter.setMaxListeners(0);
    n = {
      publish: (version) => emitter.emit('commit', version),
      onCommit: (listener) => {
        emitter.on('commit', listener);
        return () => emitter.off('commit', listener);
      },
      publishEpoch: (epoch) => emitter.emit('epoch', epoch),
      onEpoch: (listener) => {
        emitter.on('epoch', listener);
        return () => emitter.off('epoch', listener);
      },
    };
    notifiers.set(db, n);
  }
  return n;
}
