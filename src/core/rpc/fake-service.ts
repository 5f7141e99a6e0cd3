/**
 * The test double that ships with the contract: a data service in memory.
 * Every request answers with small, valid data (it passes the result schemas
 * of contract.ts), any handler can be replaced, and `emit` pushes an event to
 * subscribers the way the real service does. Renderer tests use it directly;
 * transport tests put a real transport in front of it.
 */
import { events, type EventName, type EventPayload, type Handlers, type RequestResult } from './contract';
import type { DataServicePort } from './wire';
import type { EventRecord } from '../events/types';
import { newEvent } from '../workflow/event';
import type { EventRow } from './queries';
import type { SessionUser } from './session';
import { wallFakeResults } from './wall-fake';

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

/** A district duty officer, signed in. */
const FAKE_USER: SessionUser = {
  id: 'u-duty',
  login: 'duty',
  name: '值班员',
  role: 'duty_officer',
  organisationId: 'district-440114',
  scope: { level: 'district', code: DISTRICT },
};

/** One filed event in the fake village, for the query requests. */
const FAKE_EVENT: EventRecord = {
  id: 'ev-1',
  caseNo: 'HD202401010001',
  title: '道路积水',
  description: '路口积水约 20 厘米',
  address: '新华街道示例路 1 号',
  location: [113.22, 23.4],
  sourceLocation: { lon: 113.22, lat: 23.4, system: 'wgs84' },
  outsideDistrict: false,
  source: 'grid_patrol',
  externalRef: { system: 'grid', id: 'g-1' },
  urgency: 'normal',
  reporter: null,
  attachments: [],
  sourceDeadline: null,
  duplicateCandidates: [],
  createdAt: '2024-01-01T01:00:00.000Z',
  workflow: {
    ...newEvent({
      id: 'ev-1',
      area: { districtCode: DISTRICT, townCode: TOWN, villageCode: VILLAGE, gridCode: GRID },
      reportedAt: new Date('2024-01-01T01:00:00.000Z'),
      categoryCode: '04',
    }),
    status: 'filed',
    version: 1,
  },
};

const FAKE_ROW: EventRow = {
  id: 'ev-1',
  caseNo: 'HD202401010001',
  title: '道路积水',
  address: '新华街道示例路 1 号',
  status: 'filed',
  categoryCode: '04',
  source: 'grid_patrol',
  urgency: 'normal',
  townCode: TOWN,
  villageCode: VILLAGE,
  gridCode: GRID,
  location: [113.22, 23.4],
  reportedAt: '2024-01-01T01:00:00.000Z',
  updatedAt: '2024-01-01T01:00:00.000Z',
  leadUnitId: null,
  deadline: null,
  clockStatus: null,
  supervisionLevel: null,
  pending: null,
};

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
  'events/list': { total: 1, offset: 0, rows: [FAKE_ROW], checkpoint: 1 },
  'events/detail': {
    event: FAKE_EVENT,
    audit: [],
    clocks: [],
    duplicates: [],
    recentSimilar: [],
    nearbyWorkers: [{ id: 'w-1', name: '张三', phone: '13800000000', gridCode: GRID, distanceMetres: 0 }],
    pending: [],
    checkpoint: 1,
  },
  'events/counts': {
    counts: {
      to_verify: 0,
      to_dispatch: 1,
      awaiting_signature: 0,
      bounced: 0,
      in_progress: 0,
      extension_requests: 0,
      overdue_warning: 0,
      to_check: 0,
      to_evaluate: 0,
      supervised_by_me: 0,
      all: 1,
    },
    checkpoint: 1,
  },
  'stats/kpis': {
    period: { from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' },
    intake: 1,
    dispatched: 0,
    inProgress: 0,
    overdue: 0,
    closureRate: { value: null, numerator: 0, denominator: 0, formula: '结案率 = 已结案 / 应结案', sufficient: false },
    onTimeRate: { value: null, numerator: 0, denominator: 0, formula: '按期结案率 = 按期结案 / 应结案', sufficient: false },
    satisfaction: { value: null, numerator: 0, denominator: 0, formula: '满意率 = 满意 / 已评价', sufficient: false },
    byCategory: [{ key: '04', label: '城市管理', count: 1 }],
    byTown: [{ key: TOWN, label: '新华街道', count: 1 }],
    bySource: [{ key: 'grid_patrol', label: 'grid_patrol', count: 1 }],
    byUnit: [],
    hourly: { today: new Array<number>(24).fill(0), last7Days: new Array<number>(24).fill(0) },
    checkpoint: 1,
  },
  'map/events': {
    count: 1,
    ids: ['ev-1'],
    positions: new Float32Array([113.22, 23.4]),
    status: new Uint8Array([2]),
    urgency: new Uint8Array([0]),
    source: new Uint8Array([1]),
    reportedAt: new Float64Array([Date.parse('2024-01-01T01:00:00.000Z')]),
    deadline: new Float64Array([Number.NaN]),
    clockStatus: new Uint8Array([0]),
    supervisionLevel: new Uint8Array([0]),
    checkpoint: 1,
  },
  'auth/session': { user: FAKE_USER, offline: false },
  'auth/login': { user: FAKE_USER, offline: false },
  'auth/logout': { user: null, offline: false },
  'map/density': { count: 1, positions: new Float32Array([113.22, 23.4]), weights: new Float32Array([1]), total: 1 },
  'map/playback': {
    from: '2024-01-01T00:00:00.000Z',
    to: '2024-01-02T00:00:00.000Z',
    count: 1,
    ids: ['ev-1'],
    positions: new Float32Array([113.22, 23.4]),
    urgency: new Uint8Array([0]),
    reportedAt: new Float64Array([Date.parse('2024-01-01T01:00:00.000Z')]),
    dispatchedAt: new Float64Array([Number.NaN]),
    handledAt: new Float64Array([Number.NaN]),
    closedAt: new Float64Array([Number.NaN]),
    geometryAsOf: '2024-01-01',
  },
  'sync/set-scope': {
    state: 'snapshot',
    dataCenterUrl: 'http://127.0.0.1:0',
    offlineSince: null,
    lastBatchAt: '2024-01-01T00:00:00.000Z',
    version: 'fake-1',
    progress: { rows: 0, bytes: 0, totalRows: null, rowsPerSecond: 0, etaSeconds: null },
    message: null,
    scope: TOWN,
  },
  'commands/submit': {
    mutationId: 1,
    clientId: 'desktop-fake',
    entry: {
      mutationId: 1,
      clientId: 'desktop-fake',
      createdAt: '2024-01-01T00:00:00.000Z',
      mutation: { name: 'wall/ack', alertId: 'alert-1' },
      eventId: null,
      state: 'queued',
      error: null,
      sentAt: null,
      ackedV: null,
      updatedAt: '2024-01-01T00:00:00.000Z',
    },
  },
  'outbox/list': { entries: [], offline: false },
  'outbox/dismiss': {
    mutationId: 1,
    clientId: 'desktop-fake',
    createdAt: '2024-01-01T00:00:00.000Z',
    mutation: { name: 'wall/ack', alertId: 'alert-1' },
    eventId: null,
    state: 'dismissed',
    error: { code: 'illegal_transition', message: 'the alert was acknowledged already' },
    sentAt: '2024-01-01T00:00:01.000Z',
    ackedV: 7,
    updatedAt: '2024-01-01T00:00:02.000Z',
  },
  // the documents are opaque here; renderer tests that need real ones pass resources/config/*.json
  'config/get': {
    documents: { calendar: null, taxonomy: null, responsibility: null, workflow: null },
    versions: { calendar: 0, taxonomy: 0, responsibility: 0, workflow: 0 },
  },
  'units/list': {
    version: 'fake-1',
    units: [
      { id: 'district-440114', name: '花都区综合指挥调度中心', shortName: '区指挥中心', kind: 'district', areaCode: DISTRICT, parentId: null, location: [113.22, 23.404], phone: '020-00000000' },
      { id: 'dept-cg', name: '花都区城市管理和综合执法局', shortName: '城管局', kind: 'department', areaCode: null, parentId: null, location: [113.21, 23.4], phone: '020-00000001' },
      { id: `town-${TOWN}`, name: '新华街道办事处', shortName: '新华街', kind: 'town', areaCode: TOWN, parentId: null, location: [113.22, 23.39], phone: '020-00000002' },
    ],
  },
  'saved-views/list': { views: [] },
  'saved-views/save': { views: [] },
  'saved-views/delete': { views: [] },
  ...wallFakeResults,
};

/** Deep copy of plain JSON data (core has no structuredClone: no DOM or Node types here). */
function copy<T>(value: T): T {
  if (ArrayBuffer.isView(value)) return (value as unknown as Float64Array).slice() as unknown as T;
  if (Array.isArray(value)) return value.map(copy) as unknown as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
  }
  return value;
}

export function createFakeService(partial: Partial<Handlers> = {}): FakeService {
  const defaults: Handlers = {
    // copies: a caller that mutates an answer must not change the next one
    'app/info': () => copy(fakeResults['app/info']),
    'areas/tree': () => copy(fakeResults['areas/tree']),
    'grids/geometry': () => copy(fakeResults['grids/geometry']),
    'sync/status': () => copy(fakeResults['sync/status']),
    'events/list': () => copy(fakeResults['events/list']),
    'events/detail': () => copy(fakeResults['events/detail']),
    'events/counts': () => copy(fakeResults['events/counts']),
    'stats/kpis': () => copy(fakeResults['stats/kpis']),
    'map/events': () => copy(fakeResults['map/events']),
    'map/density': () => copy(fakeResults['map/density']),
    'auth/session': () => copy(fakeResults['auth/session']),
    'auth/login': () => copy(fakeResults['auth/login']),
    'auth/logout': () => copy(fakeResults['auth/logout']),
    'map/playback': () => copy(fakeResults['map/playback']),
    'sync/set-scope': () => copy(fakeResults['sync/set-scope']),
    'commands/submit': () => copy(fakeResults['commands/submit']),
    'outbox/list': () => copy(fakeResults['outbox/list']),
    'outbox/dismiss': () => copy(fakeResults['outbox/dismiss']),
    'config/get': () => copy(fakeResults['config/get']),
    'units/list': () => copy(fakeResults['units/list']),
    'saved-views/list': () => copy(fakeResults['saved-views/list']),
    'saved-views/save': () => copy(fakeResults['saved-views/save']),
    'saved-views/delete': () => copy(fakeResults['saved-views/delete']),
    'map/grid-stats': () => copy(fakeResults['map/grid-stats']),
    'map/workers': () => copy(fakeResults['map/workers']),
    'map/modules': () => copy(fakeResults['map/modules']),
    'wall/state': () => copy(fakeResults['wall/state']),
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
