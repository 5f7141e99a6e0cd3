/**
 * How the renderer reaches the data service: in the desktop app the preload
 * has put `window.huying` there (Electron IPC); in a browser (web host) there
 * is none, and a WebSocket bridge to `ws(s)://<this host>/rpc` takes its
 * place. Views use `createRpcClient(getBridge())` and never know which.
 */
import type { Bridge } from '../../core/rpc/wire';
import { createWebSocketBridge } from './websocket';

export { createWebSocketBridge } from './websocket';
export type { ConnectionState, WebSocketBridge, WebSocketBridgeOptions } from './websocket';

declare global {
  interface Window {
    /** exposed by src/preload in the desktop app only */
    huying?: Bridge;
  }
}

/** The path the web host serves the RPC WebSocket on (see src/main/web-host/rpc-socket.ts). */
export const RPC_PATH = '/rpc';

/** `ws://host/rpc` for an http page, `wss://host/rpc` for an https one. */
export function rpcUrlFor(location: { protocol: string; host: string }, path: string = RPC_PATH): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

let bridge: Bridge | undefined;

/** The one bridge of this page, created on first use. */
export function getBridge(): Bridge {
  bridge ??= window.huying ?? createWebSocketBridge(rpcUrlFor(window.location));
  return bridge;
}
