/**
 * A demo data service for the wall: answers the requests the real query layer
 * does not answer yet (events, KPIs, density, playback, workers, modules, wall
 * state) from `buildDemoWorld` over the district the real service sends, and
 * simulates the live feed (a change every second or two, a one-key alert now
 * and then that a "workstation" acknowledges after a while). Everything else
 * (areas, grids, sync status) goes to the real client.
 *
 * For tests and for development only: the wall loads this module through a
 * dynamic import behind `import.meta.env.DEV || VITE_HUYING_DEMO`, so a
 * production build contains none of it, and it only runs with `?fake=wall`.
 */
import { HuyingError, toRpcError } from '../../../core/errors';
import { events, requests, type EventName, type EventPayload, type RequestName, type RequestResult } from '../../../core/rpc/contract';
import { fakeResults } from '../../../core/rpc/fake-service';
import type { EventListResult } from '../../../core/rpc/queries';
import type { RpcClient } from '../../../core/rpc/wire';
import type { WallState } from '../../../core/rpc/wall';
import { buildDemoWorld, columnsOf, gridStatsOf, kpisOf, playbackOf, recordOf, rowOf, simulateStep, type DemoOptions, type DemoWorld } from './demo-data';

export interface DemoClientOptions extends DemoOptions {
  /** ms between simulated changes; 0: no simulation */
  tickMs?: number;
  /** ms between one-key alerts (the first comes after `firstAlertMs`) */
  alertEveryMs?: number;
  firstAlertMs?: number;
  /** a simulated workstation acknowledges an alert after this long */
  autoAckMs?: number;
}

const DEMO_NAMES = new Set<RequestName>([
  'map/events',
  'map/density',
  'map/playback',
  'map/grid-stats',
  'map/workers',
  'map/modules',
  'stats/kpis',
  'events/list',
  'events/detail',
  'events/counts',
  'units/list',
  'wall/state',
]);

export interface DemoClient extends RpcClient {
  /** resolves once the demo world is built */
  ready: Promise<DemoWorld>;
  /** raise a one-key alert now (tests, the demo's keyboard shortcut) */
  raiseAlert(): Promise<void>;
  acknowledge(alertId: string, by?: string): void;
  stop(): void;
}

export function createDemoClient(real: RpcClient, options: DemoClientOptions = {}): DemoClient {
  const listeners = new Map<EventName, Set<(p: never) => void>>();
  let world: DemoWorld | null = null;
  const timers: ReturnType<typeof setTimeout>[] = [];
  let stopped = false;

  const emit = <E extends EventName>(name: E, payload: EventPayload<E>) => {
    const checked = events[name].parse(payload);
    for (const l of [...(listeners.get(name) ?? [])]) (l as (p: unknown) => void)(checked);
  };
  const wallState = (): WallState => {
    const w = world!;
    const recent = w.now - 10 * 60_000;
    return { alerts: w.alerts.filter((a) => a.ackedAt === null || Date.parse(a.ackedAt) > recent), directive: null, checkpoint: w.seq };
  };

  const ready = (async () => {
    const [tree, geometry] = await Promise.all([real.invoke('areas/tree'), real.invoke('grids/geometry')]);
    world = buildDemoWorld(tree, geometry, options);
    return world;
  })();

  const acknowledge = (alertId: string, by = '值班员 张敏') => {
    const w = world;
    if (!w) return;
    w.alerts = w.alerts.map((a) => (a.id === alertId && a.ackedAt === null ? { ...a, ackedAt: new Date().toISOString(), ackedBy: { id: 'u-duty', name: by } } : a));
    emit('wall/changed', wallState());
  };

  const raiseAlert = async () => {
    const w = await ready;
    const { ids, alert } = simulateStep(w, Date.now(), true);
    emit('events/changed', { ids, all: false, checkpoint: null });
    if (alert) {
      emit('wall/changed', wallState());
      const ackAfter = options.autoAckMs ?? 25_000;
      if (ackAfter > 0) timers.push(setTimeout(() => acknowledge(alert.id), ackAfter));
    }
  };

  void ready.then((w) => {
    if (stopped) return;
    const tick = options.tickMs ?? 1500;
    if (tick > 0) {
      const loop = () => {
        if (stopped) return;
        const { ids } = simulateStep(w, Date.now());
        if (ids.length) emit('events/changed', { ids, all: false, checkpoint: null });
        timers.push(setTimeout(loop, tick * (0.5 + w.rng.float())));
      };
      timers.push(setTimeout(loop, tick));
    }
    const every = options.alertEveryMs ?? 90_000;
    if (every > 0) {
      const alertLoop = () => {
        if (stopped) return;
        void raiseAlert();
        timers.push(setTimeout(alertLoop, every));
      };
      timers.push(setTimeout(alertLoop, options.firstAlertMs ?? 15_000));
    }
  });

  async function answer(name: RequestName, rawArgs: unknown): Promise<unknown> {
    const w = await ready;
    w.now = Date.now();
    const args = requests[name].args.parse(rawArgs ?? {}) as Record<string, unknown>;
    switch (name) {
      case 'map/events': {
        const ids = args.ids as string[] | undefined;
        const list = ids ? ids.map((id) => w.byId.get(id)).filter((e) => e !== undefined) : w.events;
        return columnsOf(list, w.seq);
      }
      case 'map/density':
        return w.density;
      case 'map/playback':
        return playbackOf(w, Date.parse(args.from as string), Date.parse(args.to as string));
      case 'map/grid-stats':
        return gridStatsOf(w);
      case 'map/workers':
        return w.workers;
      case 'map/modules':
        return w.modules;
      case 'stats/kpis':
        return kpisOf(w);
      case 'events/list': {
        const limit = (args.limit as number) ?? 20;
        const rows = [...w.events].sort((a, b) => b.reportedAt - a.reportedAt).slice(0, limit).map((e) => rowOf(e));
        return { total: w.events.length, offset: 0, rows, checkpoint: w.seq } satisfies EventListResult;
      }
      case 'events/detail': {
        const e = w.byId.get(args.id as string);
        if (!e) throw new HuyingError('not_found', `no event ${String(args.id)}`);
        return { ...fakeResults['events/detail'], event: recordOf(w, e), nearbyWorkers: [], checkpoint: w.seq };
      }
      case 'events/counts':
        return { ...fakeResults['events/counts'], checkpoint: w.seq };
      case 'units/list':
        return { version: 'demo-1', units: w.units };
      case 'wall/state':
        return wallState();
      default:
        return real.invoke(name as never, rawArgs as never);
    }
  }

  return {
    ready,
    raiseAlert,
    acknowledge,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    },
    async invoke(name, ...rest) {
      const rawArgs = rest[0];
      if (!DEMO_NAMES.has(name)) return real.invoke(name, ...(rest as [never]));
      try {
        return (await answer(name, rawArgs)) as RequestResult<typeof name>;
      } catch (err) {
        if (err instanceof HuyingError) throw err;
        const e = toRpcError(err);
        throw new HuyingError(e.code, e.message, e.details);
      }
    },
    subscribe(name, listener) {
      if (name === 'events/changed' || name === 'wall/changed') {
        let set = listeners.get(name);
        if (!set) listeners.set(name, (set = new Set()));
        const entry = listener as (p: never) => void;
        set.add(entry);
        return () => void set.delete(entry);
      }
      return real.subscribe(name, listener);
    },
  };
}
