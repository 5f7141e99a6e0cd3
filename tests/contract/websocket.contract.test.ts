/**
 * The contract over the web host's transport: a real HTTP server with
 * attachRpcSocket on one side, the renderer's WebSocket bridge on the other
 * (with `ws` as the WebSocket implementation, since Node 20 has none).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { createRpcClient } from '../../src/core/rpc/wire';
import { attachRpcSocket } from '../../src/main/web-host/rpc-socket';
import { createWebSocketBridge, type WebSocketConstructor } from '../../src/renderer/transport/websocket';
import { defineContractSuite } from './contract-suite';

defineContractSuite('WebSocket (web host)', async (service) => {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const socket = attachRpcSocket(server, service, { heartbeatMs: 0, log: () => {} });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const bridge = createWebSocketBridge(`ws://127.0.0.1:${port}/rpc`, { WebSocket: WebSocket as unknown as WebSocketConstructor });
  return {
    client: createRpcClient(bridge),
    close: async () => {
      bridge.close();
      await socket.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
