/**
 * Where the remembered session (refresh token + account) lives between runs.
 *
 * The default keeps it in the replica's local preferences, in the data
 * folder, readable by whoever can read that folder — the same protection as
 * the replica's own data. A host with an OS keystore can do better: Electron's
 * main process may pass a SecretStore that encrypts with `safeStorage`
 * (DPAPI / Keychain / libsecret) and hands the data service only ciphertext
 * through the utility-process channel; the data service itself never imports
 * electron.
 */
import { connectionOf, type ConnectionLike } from '../store/connection';
import { readPreference, writePreference } from '../store/preferences';
import type { SecretStore, StoredSession } from './session';

const KEY = 'session';

/** `connection`: the replica's (read at each use: an image renamed into place reopens it, store/connection.ts) */
export function preferencesSecretStore(connection: ConnectionLike): SecretStore {
  const c = connectionOf(connection);
  return {
    read: () => readPreference<StoredSession>(c.sqlite, KEY) ?? null,
    write(value) {
      if (value === null) c.sqlite.prepare('DELETE FROM preferences WHERE key = ?').run(KEY);
      else writePreference(c.sqlite, KEY, value);
    },
  };
}

/** In memory only: nothing survives a restart (tests, shared kiosks). */
export function memorySecretStore(): SecretStore {
  let value: StoredSession | null = null;
  return {
    read: () => value,
    write(v) {
      value = v;
    },
  };
}
