/**
 * The typed RPC client, handed down through React context so views never know
 * which shell carries them (Electron preload or the web host's WebSocket) and
 * tests can pass a client over a fake bridge.
 */
import { createContext, useContext, type ReactNode } from 'react';
import type { RpcClient } from '../../core/rpc/wire';

const RpcContext = createContext<RpcClient | null>(null);

export function RpcProvider({ client, children }: { client: RpcClient; children: ReactNode }) {
  return <RpcContext.Provider value={client}>{children}</RpcContext.Provider>;
}

export function useRpc(): RpcClient {
  const client = useContext(RpcContext);
  if (!client) throw new Error('useRpc() outside <RpcProvider>');
  return client;
}
