/**
 * The preload's half of the Electron transport, kept apart from index.ts so
 * it runs under plain Node in the contract tests (with an in-memory ipc pair
 * instead of Electron's ipcRenderer).
 *
 * It must stay free of runtime imports: a sandboxed preload can require only
 * `electron` and a few Node built-ins, so anything else would have to be
 * bundled. Types from core are fine; they vanish at build time.
 *
 * Requests go out on one channel (`huying:invoke`, answered by main's
 * validated handler); every pushed event comes back on `huying:event` and is
 * fanned out here to the page's listeners for that name.
 */
import type { Bridge, Reply } from '../core/rpc/wire';

export const INVOKE_CHANNEL = 'huying:invoke';
export const EVENT_CHANNEL = 'huying:event';

/** The part of Electron's `ipcRenderer` the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

type Listener = (payload: unknown) => void;

function unavailable(message: string): Reply {
  return { ok: false, error: { code: 'unavailable', message } };
}

export function createPreloadBridge(ipc: IpcRendererLike): Bridge {
  const listeners = new Map<string, Set<Listener>>();

  ipc.on(EVENT_CHANNEL, (_event, name, payload) => {
    if (typeof name !== 'string') return;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (err) {
        // one failing listener must not starve the others
        console.error(`huying: listener for ${name} threw`, err);
      }
    }
  });

  return {
    async invoke(name, args) {
      try {
        // main answers every request with a Reply; it never throws on purpose
        return (await ipc.invoke(INVOKE_CHANNEL, name, args)) as Reply;
      } catch (err) {
        // no handler yet (main still starting) or the window is going away
        return unavailable(`ipc invoke failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    subscribe(name, listener) {
      if (typeof name !== 'string' || typeof listener !== 'function') {
        throw new TypeError('subscribe(name: string, listener: function)');
      }
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const entry: Listener = (payload) => listener(payload);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
  };
}
