/**
 * Small valid answers for the wall's requests (src/core/rpc/wall.ts), merged
 * into `fakeResults` of the contract's test double. They describe the same one
 * town / one village / one grid as the other fake answers. Renderer demos with
 * thousands of features live in src/renderer/wall/test/, not here.
 */
import type { z } from 'zod';
import type { wallRequests } from './wall';

const TOWN = '440114001000';
const GRID = '440114001001001';

type WallRequests = typeof wallRequests;

export const wallFakeResults: { readonly [N in keyof WallRequests]: z.output<WallRequests[N]['result']> } = {
  'map/grid-stats': {
    period: { from: '2023-12-02T00:00:00.000Z', to: '2024-01-01T00:00:00.000Z' },
    gridCodes: [GRID],
    reported: new Uint32Array([3]),
    open: new Uint32Array([1]),
    overdue: new Uint32Array([0]),
    population: new Uint32Array([850]),
    checkpoint: 1,
  },
  'map/workers': {
    workers: [
      {
        id: 'w-1',
        name: '李明',
        phone: '020-00000001',
        gridCode: GRID,
        position: [113.221, 23.401],
        source: 'gps',
        fixAt: '2024-01-01T00:58:00.000Z',
        onDuty: true,
      },
    ],
    checkpoint: 1,
  },
  'map/modules': {
    version: 'fake-1',
    features: [
      {
        id: 'pc-1',
        module: 'party_centres',
        kind: 'service_centre',
        name: '新华社区党群服务中心',
        townCode: TOWN,
        geometry: { type: 'Point', coordinates: [113.219, 23.399] },
        props: { 开放时间: '08:30–17:30' },
      },
      {
        id: 'rr-1',
        module: 'river_reaches',
        kind: 'reach',
        name: '新街河新华段',
        townCode: TOWN,
        geometry: {
          type: 'LineString',
          coordinates: [
            [113.212, 23.396],
            [113.222, 23.402],
            [113.229, 23.404],
          ],
        },
        props: { 河长: '王强', 长度: '1.9 km' },
      },
    ],
  },
  'wall/state': {
    alerts: [
      {
        id: 'alert-1',
        kind: 'one_key',
        eventId: 'ev-1',
        caseNo: 'HD202401010001',
        title: '一键呼叫：商铺求助',
        address: '新华街道示例路 1 号',
        location: [113.22, 23.4],
        townCode: TOWN,
        gridCode: GRID,
        raisedAt: '2024-01-01T01:00:00.000Z',
        respondBy: '2024-01-01T01:03:00.000Z',
        ackedAt: null,
        ackedBy: null,
      },
    ],
    directive: null,
    checkpoint: 1,
  },
};
