/**
 * The test double that ships with the contract: a data service in memory.
 * Every request answers with small, valid data (it passes the result schemas
 * of contract.ts), any handler can be replaced, and `emit` pushes an event to
 * subscribers the way the real service does. Renderer tests use it directly;
 * transport tests put a real transport in front of it.
 */
import { events, type EventName, type EventPayload, type Handlers, type RequestResult } from './contract';
import type { DataServicePort } from './wire';

export interface FakeService extends DataServicePort {
  /** Pushes an event to every subscriber (the payload is checked against its schema). */
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  /** How many listeners are subscribed to an event, to check that transports clean up. */
  listenerCount(name: EventName): number;
}

const DISTRICT = '440114';
const TOWN = '440114001000';
const VILLAGE = '440114001001';
const GRID = '440114001001001';

/** A closed square ring around [lon, lat]. */
function square(lon: number, lat: number, half: number): [number, number][] {
  return [
    [lon - half, lat - half],
    [lon + half, lat - half],
    [lon + half, lat + half],
    [lon - half, lat + half],
    [lon - half, lat - half],
  ];
}

/** Small valid answers for every request: one district, one town, one village, one grid. */
export const fakeResults: { readonly [N in keyof Handlers]: RequestResult<N> } = {
  'app/info': {
    name: 'Huying',
    version: '0.0.0-fake',
    shell: 'web',
    dataCenterUrl: 'http://127.0.0.1:0',
    locale: 'zh-CN',
  },
  'areas/tree': {
    version: 'fake-1',
    district: {
      code: DISTRICT,
      name: '花都区',
      level: 'district',
      kind: 'district',
      parentCode: null,
      labelPoint: [113.22, 23.4],
      bbox: [113.2, 23.38, 113.24, 23.42],
      population: 3,
      gridCount: 1,
      children: [
        {
          code: TOWN,
          name: '新华街道',
          level: 'town',
          kind: 'subdistrict',
          parentCode: DISTRICT,
          labelPoint: [113.22, 23.4],
          bbox: [113.21, 23.39, 113.23, 23.41],
          population: 2,
          gridCount: 1,
          children: [
            {
              code: VILLAGE,
              name: '新华社区',
              level: 'village',
              kind: 'community',
              parentCode: TOWN,
              labelPoint: [113.22, 23.4],
              bbox: [113.215, 23.395, 113.225, 23.405],
              population: 1,
              gridCount: 1,
              children: [],
            },
          ],
        },
      ],
    },
  },
  'grids/geometry': {
    version: 'fake-1',
    grids: [
      {
        code: GRID,
        name: '新华社区第1网格',
        kind: 'community',
        villageCode: VILLAGE,
        townCode: TOWN,
        labelPoint: [113.22, 23.4],
        geometry: { type: 'Polygon', coordinates: [square(113.22, 23.4, 0.005)] },
        workers: [{ id: 'w-1', name: '李明', phone: '020-00000001' }],
        validFrom: '2024-01-01',
        validTo: null,
      },
    ],
    boundaries: [
      {
        code: TOWN,
        name: '新华街道',
        level: 'town',
        kind: 'subdistrict',
        townCode: null,
        labelPoint: [113.22, 23.4],
        bbox: [113.21, 23.39, 113.23, 23.41],
        geometry: { type: 'Polygon', coordinates: [square(113.22, 23.4, 0.01)] },
      },
      {
        code: VILLAGE,
        name: '新华社区',
        level: 'village',
        kind: 'community',
        townCode: TOWN,
        labelPoint: [113.22, 23.4],
        bbox: [113.215, 23.395, 113.225, 23.405],
        geometry: { type: 'Polygon', coordinates: [square(113.22, 23.4, 0.005)] },
      },
    ],
  },
  'sync/status': {
    state: 'live',
    dataCenterUrl: 'http://127.0.0.1:0',
    offlineSince: null,
    lastBatchAt: '2024-01-01T00:00:00.000Z',
    version: 'fake-1',
    progress: null,
    message: null,
  },
};

/** Deep copy of plain JSON data (core has no structuredClone: no DOM or Node types here). */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function createFakeService(partial: Partial<Handlers> = {}): FakeService {
  const defaults: Handlers = {
    // copies: a caller that mutates an answer must not change the next one
    'app/info': () => copy(fakeResults['app/info']),
    'areas/tree': () => copy(fakeResults['areas/tree']),
    'grids/geometry': () => copy(fakeResults['grids/geometry']),
    'sync/status': () => copy(fakeResults['sync/status']),
  };
  const handlers: Handlers = { ...defaults, ...partial };
  const listeners = new Map<EventName, Set<(payload: never) => void>>();

  return {
    handlers,
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      // wrap so the same function subscribed twice counts (and unsubscribes) twice
      const entry = (payload: never) => listener(payload);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    emit(name, payload) {
      const checked = events[name].parse(payload);
      for (const listener of [...(listeners.get(name) ?? [])]) listener(checked as never);
    },
    listenerCount(name) {
      return listeners.get(name)?.size ?? 0;
    },
  };
}
