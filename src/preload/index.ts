/**
 * The preload: exposes `window.huying = { invoke, subscribe }` and nothing
 * else (never ipcRenderer). Built as CommonJS (out/preload/index.cjs) because
 * a sandboxed preload cannot be an ES module; see docs/electron.md.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadBridge } from './bridge';

const bridge = createPreloadBridge(ipcRenderer);

contextBridge.exposeInMainWorld('huying', {
  invoke: (name: string, args: unknown) => bridge.invoke(name, args),
  subscribe: (name: string, listener: (payload: unknown) => void) => bridge.subscribe(name, listener),
});
