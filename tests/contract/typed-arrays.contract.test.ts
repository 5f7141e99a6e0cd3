/**
 * Typed arrays cross every transport as the same typed arrays: the map's
 * binary columns (map/events, map/grid-stats, map/density, map/playback) over
 * the web host's WebSocket — one binary frame, core/rpc/binary.ts — and over
 * Electron IPC and the utility process (structured clone), large ones
 * included, NaN kept, next to plain JSON answers, in answers and in pushed
 * events alike.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EventColumns } from '../../src/core/rpc/queries';
import { EventColumns as EventColumnsSchema } from '../../src/core/rpc/queries';
import { createFakeService, fakeResults, type FakeService } from '../../src/core/rpc/fake-service';
import { createRpcClient, type RpcClient } from '../../src/core/rpc/wire';
import { createServiceSupervisor } from '../../src/main/service-host';
import { registerValidatedIpc } from '../../src/main/validated-ipc';
import { attachRpcSocket } from '../../src/main/web-host/rpc-socket';
import { createPreloadBridge } from '../../src/preload/bridge';
import { createWebSocketBridge, type WebSocketConstructor } from '../../src/renderer/transport/websocket';
import type { Handlers } from '../../src/core/rpc/contract';
import { createFakeIpcPair, forkInMemory, OUR_FRAME } from './fake-electron';

interface Harness {
  client: RpcClient;
  close(): Promise<void>;
}

const TRANSPORTS: Record<string, (service: FakeService) => Promise<Harness>> = {
  'WebSocket (web host)': async (service) => {
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
  },
  'Electron IPC': async (service) => {
    const ipc = createFakeIpcPair();
    const dispose = registerValidatedIpc({ ipcMain: ipc.ipcMain, port: service, isOurMainFrame: (f) => f === OUR_FRAME, targets: () => [ipc.webContents] });
    return { client: createRpcClient(createPreloadBridge(ipc.ipcRenderer)), close: async () => dispose() };
  },
  'Electron IPC through the utility process': async (service) => {
    const ipc = createFakeIpcPair();
    const supervisor = createServiceSupervisor({ fork: () => forkInMemory({ ...service, close: async () => {} }), dataCenterUrl: 'http://127.0.0.1:0', offlineMessage: 'offline', log: () => {} });
    supervisor.start();
    const dispose = registerValidatedIpc({ ipcMain: ipc.ipcMain, port: supervisor, isOurMainFrame: (f) => f === OUR_FRAME, targets: () => [ipc.webContents] });
    return {
      client: createRpcClient(createPreloadBridge(ipc.ipcRenderer)),
      close: async () => {
        dispose();
        await supervisor.stop();
      },
    };
  },
};

/** Map columns of n events, NaN deadlines on odd rows. */
function columnsOf(n: number): EventColumns {
  const positions = new Float32Array(2 * n);
  const deadline = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = 113 + i / n;
    positions[2 * i + 1] = 23 + i / n;
    deadline[i] = i % 2 === 1 ? NaN : 1_700_000_000_000 + i;
  }
  return {
    count: n,
    ids: Array.from({ length: n }, (_, i) => `ev-${i}`),
    positions,
    status: Uint8Array.from({ length: n }, (_, i) => i % 17),
    urgency: Uint8Array.from({ length: n }, (_, i) => i % 3),
    source: Uint8Array.from({ length: n }, (_, i) => i % 10),
    reportedAt: Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 - i * 1000),
    deadline,
    clockStatus: Uint8Array.from({ length: n }, (_, i) => i % 4),
    supervisionLevel: Uint8Array.from({ length: n }, (_, i) => (i * 7) % 4),
    gridCodes: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `44011400100100${i % 10}`)),
    leadUnitIds: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'dept-cg' : null)),
    checkpoint: 7,
  };
}

const BINARY_KEYS = ['positions', 'status', 'urgency', 'source', 'reportedAt', 'deadline', 'clockStatus', 'supervisionLevel'] as const;

function expectSameColumns(got: EventColumns, want: EventColumns): void {
  expect(EventColumnsSchema.safeParse(got).success).toBe(true);
  for (const key of BINARY_KEYS) {
    expect(got[key].constructor, key).toBe(want[key].constructor);
    expect(got[key].length, key).toBe(want[key].length);
    // Object.is per element: NaN equals NaN, and -0 would differ from 0
    expect(Array.from(got[key]).every((v, i) => Object.is(v, want[key][i])), key).toBe(true);
  }
  const { positions: _p, status: _s, urgency: _u, source: _so, reportedAt: _r, deadline: _d, clockStatus: _c, supervisionLevel: _l, ...rest } = got;
  const { positions: _p2, status: _s2, urgency: _u2, source: _so2, reportedAt: _r2, deadline: _d2, clockStatus: _c2, supervisionLevel: _l2, ...wantRest } = want;
  expect(rest).toEqual(wantRest);
}

for (const [name, make] of Object.entries(TRANSPORTS)) {
  describe(`typed arrays over ${name}`, () => {
    let harness: Harness | null = null;
    afterEach(async () => {
      await harness?.close();
      harness = null;
    });
    const open = async (partial: Partial<Handlers>) => {
      const service = createFakeService(partial);
      harness = await make(service);
      return { service, client: harness.client };
    };

    it('map/events: 50,000 rows arrive as equal typed arrays, next to JSON answers', async () => {
      const columns = columnsOf(50_000);
      const { client } = await open({ 'map/events': () => columns });
      const [got, info, again] = await Promise.all([client.invoke('map/events'), client.invoke('app/info'), client.invoke('map/events', { ids: ['ev-1'] })]);
      expectSameColumns(got, columns);
      expectSameColumns(again, columns);
      expect(info).toEqual(fakeResults['app/info']);
    });

    it('an empty answer and the other binary answers keep their kinds', async () => {
      const { client } = await open({ 'map/events': () => columnsOf(0) });
      const empty = await client.invoke('map/events');
      expectSameColumns(empty, columnsOf(0));
      const stats = await client.invoke('map/grid-stats');
      for (const k of ['reported', 'open', 'overdue', 'population'] as const) {
        expect(stats[k]).toBeInstanceOf(Uint32Array);
        expect(Array.from(stats[k])).toEqual(Array.from(fakeResults['map/grid-stats'][k]));
      }
      const density = await client.invoke('map/density');
      expect(density.positions).toBeInstanceOf(Float32Array);
      expect(density.weights).toBeInstanceOf(Float32Array);
      const playback = await client.invoke('map/playback', { from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' });
      expect(playback.closedAt).toBeInstanceOf(Float64Array);
    });
  });
}
