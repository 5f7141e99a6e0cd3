/**
 * Local settings of a data folder, kept in the replica: the client id the
 * outbox pushes under (made once, never changed, so the data center's
 * `(clientId, mutationId)` idempotency holds across restarts), the chosen
 * sync scope, and whatever the UI wants to remember.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';

export function readPreference<T>(sqlite: Database.Database, key: string): T | undefined {
  const v = sqlite.prepare('SELECT value FROM preferences WHERE key = ?').pluck().get(key) as string | undefined;
  return v === undefined ? undefined : (JSON.parse(v) as T);
}

export function writePreference(sqlite: Database.Database, key: string, value: unknown, at = new Date().toISOString()): void {
  sqlite
    .prepare('INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
    .run(key, JSON.stringify(value), at);
}

/** The client id of this data folder, made on first use. */
export function clientIdOf(sqlite: Database.Database): string {
  return sqlite.transaction(() => {
    const existing = readPreference<string>(sqlite, 'clientId');
    if (existing) return existing;
    const id = `desktop-${randomUUID()}`;
    writePreference(sqlite, 'clientId', id);
    return id;
  }).immediate();
}
