/**
 * How the data service's modules hold the replica's connection (docs/sync-client.md, "Rename instead of copy"):
 * through a ReplicaConnection whose `sqlite` is read at each use, so that a replica image renamed into place —
 * the connection closed, the new file opened — reaches every holder without each being told.
 */
import type Database from 'better-sqlite3';

/**
 * Where a holder finds the replica's connection. `sqlite` is the CURRENT one: a replica image renamed into place
 * (store/replica-image.ts renameInReplicaImage) closes the connection and opens the new file, and `generation`
 * goes up by one. A holder reads `sqlite` at each use and never keeps it, nor a statement prepared on it, past a
 * change of `generation` (perConnection).
 */
export interface ReplicaConnection {
  readonly sqlite: Database.Database;
  readonly generation: number;
}

/** A bare connection (tests, benches, the keeper's own tools) or a replica handle. */
export type ConnectionLike = Database.Database | ReplicaConnection;

/** A bare connection as a ReplicaConnection of one generation (it is never reopened). */
export function connectionOf(c: ConnectionLike): ReplicaConnection {
  return 'prepare' in c ? { sqlite: c, generation: 0 } : c;
}

/** `build(sqlite)` once per connection of `c`: what a holder prepares on the connection, prepared again after a reopen. */
export function perConnection<T>(c: ConnectionLike, build: (sqlite: Database.Database) => T): () => T {
  const source = connectionOf(c);
  let generation = -1;
  let value: T | undefined;
  return () => {
    if (generation !== source.generation || value === undefined) {
      value = build(source.sqlite);
      generation = source.generation;
    }
    return value;
  };
}
