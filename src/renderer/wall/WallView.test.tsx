// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HuyingError } from '../../core/errors';
import { fakeResults } from '../../core/rpc/fake-service';
import type { EventColumns } from '../../core/rpc/queries';
import type { WallAlert, WallState } from '../../core/rpc/wall';
import { createRpcClient } from '../../core/rpc/wire';
import { I18nProvider } from '../i18n';
import { RpcProvider } from '../rpc/rpc-context';
import { fakeDistrictBridge, type FakeBridge } from '../test/fake-bridge';
import { mapCalls, resetMapCalls } from '../test/map-stub';
import type * as LinkStatusModule from './LinkStatus';
import { WallView } from './WallView';

/** renders of the map (the stub), to tell a panel's update from a whole-wall re-render */
const renders = vi.hoisted(() => ({ map: 0, link: 0 }));
vi.mock('./LinkStatus', async (importOriginal) => {
  const { LinkStatus } = await importOriginal<typeof LinkStatusModule>();
  return {
    LinkStatus: (props: Parameters<typeof LinkStatus>[0]) => {
      renders.link++;
      return LinkStatus(props);
    },
  };
});
vi.mock('../map/DistrictMap', async () => {
  const { DistrictMapStub } = await import('../test/map-stub');
  return {
    DistrictMap: (props: Parameters<typeof DistrictMapStub>[0]) => {
      renders.map++;
      return DistrictMapStub(props);
    },
  };
});
vi.mock('../charts/EChart', async () => ({ EChart: (await import('../charts/EChartStub')).EChartStub }));

const GRID = '440114001001001';

/** ids starting with `old` were reported two days ago, the others now */
const reportedAt = (id: string) => (id.startsWith('old') ? Date.now() - 2 * 86_400_000 : Date.now());

function columns(ids: string[]): EventColumns {
  const n = ids.length;
  return {
    count: n,
    ids,
    positions: new Float32Array(ids.flatMap((_, i) => [113.01 + i / 1000, 23.35])),
    status: new Uint8Array(n).fill(7),
    urgency: new Uint8Array(n),
    source: new Uint8Array(n),
    reportedAt: new Float64Array(ids.map(reportedAt)),
    deadline: new Float64Array(n).fill(Number.NaN),
    clockStatus: new Uint8Array(n),
    supervisionLevel: new Uint8Array(n),
    gridCodes: ids.map(() => GRID),
    leadUnitIds: ids.map(() => null),
    checkpoint: 1,
  };
}

const alert = (acked: boolean): WallAlert => ({
  id: 'alert-9',
  kind: 'one_key',
  eventId: 'ev-9',
  caseNo: 'HD20240501009',
  title: '一键呼叫：商铺求助',
  address: '新华街示例路 9 号',
  location: [113.02, 23.36],
  townCode: '440114001000',
  gridCode: GRID,
  raisedAt: new Date(Date.now() - 20_000).toISOString(),
  respondBy: new Date(Date.now() + 160_000).toISOString(),
  ackedAt: acked ? new Date().toISOString() : null,
  ackedBy: acked ? { id: 'u-1', name: '值班员 张敏' } : null,
});

let open: string[];
let bridge: FakeBridge;

function setup(partial: Parameters<typeof fakeDistrictBridge>[1] = {}) {
  bridge = fakeDistrictBridge(
    { towns: 3, villagesPerTown: 2, gridsPerVillage: 2 },
    {
      'map/events': (args) => columns(args.ids ? args.ids.filter((id) => open.includes(id)) : open),
      'wall/state': () => ({ alerts: [], directive: null, checkpoint: 1 }),
      ...partial,
    },
  );
  render(
    <RpcProvider client={createRpcClient(bridge)}>
      <I18nProvider locale="zh-CN">
        <WallView />
      </I18nProvider>
    </RpcProvider>,
  );
}

const emitWall = (state: WallState) => act(() => bridge.service.emit('wall/changed', state));

beforeEach(() => {
  open = ['e1', 'e2'];
  resetMapCalls();
  history.replaceState(null, '', '/?mode=wall&tour=0');
});
afterEach(cleanup);

describe('WallView', () => {
  it('shows today’s figures, the newest events and the open events on the map', async () => {
    setup();
    await screen.findByTestId('wall-map');
    await waitFor(() => expect(screen.getByTestId('kpi-intake').dataset.value).toBe(String(fakeResults['stats/kpis'].intake)));
    expect(screen.getByTestId('kpi-closure').textContent).toBe('—');
    expect(screen.getByTestId('kpi-closure-tile').title).toContain('结案率 = 已结案 / 应结案');
    // too few cases today: the tile itself says so (a wall has no hover)
    expect(screen.getByTestId('kpi-closure-note').textContent).toBe('样本不足，暂不计算 · 0/0');
    await waitFor(() => expect(screen.getAllByTestId('ticker-item')[0]!.textContent).toContain('道路积水'));
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
    expect(screen.getByTestId('link-feed').dataset.state).toBe('live');
    // the map got the live layers and a measure fill
    expect(mapCalls.lastProps!.liveLayers!.get().extra.map((l) => l.id)).toEqual(['dispatch-arcs', 'events']);
    expect(mapCalls.lastProps!.gridFill).not.toBeNull();
  });

  it('patches a changed event without reloading everything', async () => {
    const seen: unknown[] = [];
    setup({
      'map/events': (args) => {
        seen.push(args.ids ?? 'all');
        return columns(args.ids ? args.ids.filter((id) => open.includes(id)) : open);
      },
    });
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
    open = ['e2', 'e3'];
    act(() => bridge.service.emit('events/changed', { ids: ['e1', 'e3'], all: false, checkpoint: null }));
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
    await waitFor(() => expect(seen).toEqual(['all', ['e1', 'e3']]));
    expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe('2');
  });

  it('re-renders the link panel when the open count moves, not at every change', async () => {
    setup();
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
    await new Promise((r) => setTimeout(r, 1_100));
    const before = renders.link;
    // e1 changes and stays open: the map takes it, the link panel has nothing new to show
    act(() => bridge.service.emit('events/changed', { ids: ['e1'], all: false, checkpoint: null }));
    await waitFor(() => expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe('2'));
    await new Promise((r) => setTimeout(r, 1_100));
    expect(renders.link).toBe(before);
    // e1 closes: the count shows it (within the panel's second)
    open = ['e2'];
    act(() => bridge.service.emit('events/changed', { ids: ['e1'], all: false, checkpoint: null }));
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('1'), { timeout: 2_000 });
    expect(renders.link).toBeGreaterThan(before);
  });

  it('shows the latency of a change drawn without re-rendering the link panel', async () => {
    setup();
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
    await new Promise((r) => setTimeout(r, 1_100));
    expect(screen.getByTestId('link-latency').textContent).toBe('—');
    const before = renders.link;
    act(() => bridge.service.emit('events/changed', { ids: ['e1'], all: false, checkpoint: null }));
    await waitFor(() => expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe('2'));
    // the map draws a frame with the patch: its latency shows, the panel around it is not rendered again
    act(() => mapCalls.lastProps!.onAfterRender!());
    await waitFor(() => expect(screen.getByTestId('link-latency').textContent).toMatch(/^\d+ ms$/), { timeout: 2_000 });
    expect(renders.link).toBe(before);
  });

  it('hands the map the layers of each patch without re-rendering it', async () => {
    setup();
    await waitFor(() => expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe('1'));
    await new Promise((r) => setTimeout(r, 300));
    const renders0 = renders.map;
    const handed0 = mapCalls.liveHandOvers;
    const eventsLayer = () => mapCalls.lastProps!.liveLayers!.get().extra.find((l) => l.id === 'events')!;
    const before = eventsLayer();
    for (const [i, ids] of [['e1'], ['e2'], ['e1', 'e2']].entries()) {
      act(() => bridge.service.emit('events/changed', { ids, all: false, checkpoint: null }));
      await waitFor(() => expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe(String(2 + i)));
    }
    // three patches, three hand-overs of new layers over the newest store version, no render of the map
    expect(mapCalls.liveHandOvers - handed0).toBe(3);
    expect(renders.map).toBe(renders0);
    const after = eventsLayer();
    expect(after).not.toBe(before);
    expect((after.props.data as { version: number }).version).toBe(4);
    // asked again for the same version, the source builds nothing new
    expect(eventsLayer()).toBe(after);
  });

  it('asks for the ticker again when a change can alter it, not when an older event moves on', async () => {
    // ten rows on show, reported in the last ten minutes
    const rows = Array.from({ length: 10 }, (_, i) => ({ ...fakeResults['events/list'].rows[0]!, id: `t${i}`, title: `事件 ${i}`, reportedAt: new Date(Date.now() - i * 60_000).toISOString() }));
    let lists = 0;
    open = ['old1', 'old2'];
    setup({
      'events/list': () => {
        lists++;
        return { total: 10, offset: 0, rows: rows.map((r) => ({ ...r })), checkpoint: lists };
      },
    });
    await waitFor(() => expect(screen.getAllByTestId('ticker-item')).toHaveLength(10));
    await waitFor(() => expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe('1'));
    // (the first load of the store asks once more, after the gap)
    await new Promise((r) => setTimeout(r, 400));
    const before = lists;
    // an event reported two days ago changes: the map takes it, the ticker does not ask
    act(() => bridge.service.emit('events/changed', { ids: ['old1'], all: false, checkpoint: null }));
    await waitFor(() => expect(screen.getByTestId('wall-map').dataset.storeVersion).toBe('2'));
    await new Promise((r) => setTimeout(r, 400));
    expect(lists).toBe(before);
    // a new event: it asks (and the new row shows)
    open = ['old1', 'old2', 'n1'];
    rows.unshift({ ...rows[0]!, id: 'n1', title: '新事件', reportedAt: new Date().toISOString() });
    rows.pop();
    act(() => bridge.service.emit('events/changed', { ids: ['n1'], all: false, checkpoint: null }));
    await waitFor(() => expect(lists).toBe(before + 1));
    await waitFor(() => expect(screen.getAllByTestId('ticker-item')[0]!.dataset.id).toBe('n1'));
    expect(screen.getAllByTestId('ticker-item')[0]!.className).toContain('ticker__item--fresh');
    // a row on show changes (it is not open on the map: the wall cannot date it otherwise): it asks
    act(() => bridge.service.emit('events/changed', { ids: ['t5'], all: false, checkpoint: null }));
    await waitFor(() => expect(lists).toBe(before + 2));
  });

  it('re-renders nothing once a second while nothing changes (no clock over the whole wall)', async () => {
    setup();
    await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
    await waitFor(() => expect(screen.getAllByTestId('ticker-item').length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 300));
    const before = renders.map;
    await new Promise((r) => setTimeout(r, 2_200));
    expect(renders.map).toBe(before);
  });

  it('keeps its live events when the reference data comes back unchanged (no reload every 10 minutes)', async () => {
    vi.useFakeTimers();
    try {
      const asked = { full: 0, units: 0, tree: 0 };
      setup({
        'map/events': (args) => {
          if (!args.ids) asked.full++;
          return columns(args.ids ? args.ids.filter((id) => open.includes(id)) : open);
        },
        'units/list': () => {
          asked.units++;
          // a new object with the same figures, as every answer off the wire is
          return structuredClone(fakeResults['units/list']);
        },
        'areas/tree': () => {
          asked.tree++;
          return structuredClone(fakeResults['areas/tree']);
        },
      });
      await vi.advanceTimersByTimeAsync(2_000);
      expect(screen.getByTestId('link-open-events').dataset.value).toBe('2');
      expect(asked).toEqual({ full: 1, units: 1, tree: 1 });
      // the units every 10 minutes, the areas and the grids every 30: the same figures, no new store
      await vi.advanceTimersByTimeAsync(31 * 60_000);
      expect(asked.units).toBe(4);
      expect(asked.tree).toBe(2);
      expect(asked.full).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs its alert and tour clock only while a tour runs or an alert is up', async () => {
    // the once-a-second timers alive now (the clock's, and the banner countdown's while it shows)
    const live = new Set<unknown>();
    const setInterval = globalThis.setInterval;
    const clearInterval = globalThis.clearInterval;
    const set = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      const id = setInterval(fn, ms);
      if (ms === 1000) live.add(id);
      return id;
    }) as typeof globalThis.setInterval);
    const clear = vi.spyOn(globalThis, 'clearInterval').mockImplementation((id) => {
      live.delete(id);
      clearInterval(id);
    });
    try {
      // the tour off (tour=0), no alert: nothing to tick
      setup();
      await screen.findByTestId('wall-map');
      await waitFor(() => expect(screen.getByTestId('link-open-events').dataset.value).toBe('2'));
      expect(live.size).toBe(0);
      // an alert: its clock (sound repeats, then the acknowledged banner's end) and the banner's countdown
      emitWall({ alerts: [alert(false)], directive: null, checkpoint: 2 });
      await screen.findByTestId('alert-banner');
      expect(live.size).toBe(2);
      // withdrawn: both stop
      emitWall({ alerts: [], directive: null, checkpoint: 3 });
      await waitFor(() => expect(screen.queryByTestId('alert-banner')).toBeNull());
      expect(live.size).toBe(0);
      cleanup();
      // a tour that runs ticks without an alert
      history.replaceState(null, '', '/?mode=wall');
      setup();
      await screen.findByTestId('wall-map');
      expect(live.size).toBe(1);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('lets an alert take over until a workstation acknowledges it', async () => {
    setup();
    await screen.findByTestId('wall-map');
    emitWall({ alerts: [alert(false)], directive: null, checkpoint: 2 });
    const banner = await screen.findByTestId('alert-banner');
    expect(banner.dataset.phase).toBe('takeover');
    expect(banner.textContent).toContain('一键呼叫：商铺求助');
    expect(Number(screen.getByTestId('alert-countdown').dataset.remainingMs)).toBeGreaterThan(150_000);
    expect(mapCalls.flights.at(-1)!.center).toEqual([113.02, 23.36]);
    expect(screen.getByTestId('wall').className).toContain('wall--alert');
    emitWall({ alerts: [alert(true)], directive: null, checkpoint: 3 });
    await waitFor(() => expect(screen.getByTestId('alert-banner').dataset.phase).toBe('acknowledged'));
    expect(screen.getByTestId('alert-acked-by').textContent).toContain('值班员 张敏');
  });

  it('obeys a directive pushed from a workstation: focus, layers, measure', async () => {
    setup();
    await screen.findByTestId('wall-map');
    emitWall({
      alerts: [],
      directive: {
        id: 'd-1',
        issuedAt: new Date().toISOString(),
        issuedBy: { id: 'u-1', name: '值班员' },
        walls: 'all',
        focus: { kind: 'town', code: '440114002000' },
        layers: { hide: ['events'], show: ['workers'], measure: 'overdue' },
        holdSeconds: 300,
      },
      checkpoint: 2,
    });
    await waitFor(() => expect(mapCalls.focused).toContain('440114002000'));
    await waitFor(() => expect(screen.getByTestId('legend').dataset.measure).toBe('overdue'));
    expect(mapCalls.lastProps!.liveLayers!.get().extra.some((l) => l.id === 'events')).toBe(false);
    expect(screen.getByTestId('tour-status').textContent).toContain('工作台推送视图中');
    // the same directive again is not applied twice
    const focused = mapCalls.focused.length;
    emitWall({ alerts: [], directive: { id: 'd-1', issuedAt: new Date().toISOString(), issuedBy: null, walls: 'all', focus: { kind: 'district' }, holdSeconds: 300 }, checkpoint: 3 });
    await new Promise((r) => setTimeout(r, 50));
    expect(mapCalls.focused.length).toBe(focused);
    expect(mapCalls.fits.length).toBe(0);
  });

  it('says so when the data service cannot answer yet, and keeps the map', async () => {
    setup({
      'map/events': () => {
        throw new HuyingError('unavailable', 'the replica query layer is not built yet');
      },
      'stats/kpis': () => {
        throw new HuyingError('unavailable', 'not yet');
      },
    });
    await screen.findByTestId('feed-unavailable');
    expect(screen.getByTestId('link-feed').dataset.state).toBe('unavailable');
    expect(screen.getByTestId('kpi-intake').textContent).toBe('—');
    expect(screen.getByTestId('district-map').dataset.grids).toBe('12');
  });

  it('switches layers and the measure at the wall itself', async () => {
    setup();
    await screen.findByTestId('wall-map');
    fireEvent.click(screen.getByTestId('layer-panel-fold'));
    fireEvent.click(screen.getByRole('button', { name: /河段/ }));
    expect(screen.getByRole('button', { name: /河段/ }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getAllByTestId('measure-option').find((b) => b.dataset.value === 'town')!);
    await waitFor(() => expect(mapCalls.lastProps!.gridFill).toBeNull());
  });
});

describe('WallView sign-in (kiosk)', () => {
  it('signs the data service in from the notice, and the notice goes away', async () => {
    let user: typeof fakeResults['auth/session']['user'] = null;
    const logins: unknown[] = [];
    setup({
      'auth/session': () => ({ user, offline: false }),
      'auth/login': (args) => {
        logins.push(args);
        if (args.password !== 'huying-demo') throw new HuyingError('unauthenticated', 'bad_credentials');
        user = fakeResults['auth/session'].user;
        const session = { user, offline: false };
        setTimeout(() => bridge.service.emit('auth/changed', session), 0);
        return session;
      },
    });
    await screen.findByTestId('not-signed-in');
    expect((screen.getByTestId('wall-sign-in-login') as HTMLInputElement).value).toBe('wall');
    fireEvent.change(screen.getByTestId('wall-sign-in-password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByTestId('wall-sign-in-submit'));
    const error = await screen.findByTestId('wall-sign-in-error');
    expect(error.dataset.code).toBe('unauthenticated');
    expect(error.textContent).toContain('账号或密码不对');
    expect((screen.getByTestId('wall-sign-in-password') as HTMLInputElement).value).toBe('');
    fireEvent.change(screen.getByTestId('wall-sign-in-password'), { target: { value: 'huying-demo' } });
    fireEvent.click(screen.getByTestId('wall-sign-in-submit'));
    await waitFor(() => expect(screen.queryByTestId('not-signed-in')).toBeNull());
    expect(logins).toEqual([
      { login: 'wall', password: 'wrong' },
      { login: 'wall', password: 'huying-demo' },
    ]);
  });
});

describe('WallView playback without an animation loop (fps=0, software GL)', () => {
  it('still hands the replayed layers to the map, at the playback clock', async () => {
    history.replaceState(null, '', '/?mode=wall&tour=0&fps=0');
    setup();
    await screen.findByTestId('wall-map');
    expect(mapCalls.lastProps!.animate).toBeUndefined();
    fireEvent.click(screen.getAllByTestId('playback-start').find((b) => b.dataset.preset === 'last24h')!);
    await waitFor(() => expect(screen.getByTestId('playback-bar').dataset.state).toBe('ready'));
    await waitFor(() => expect((mapCalls.lastProps!.liveLayers?.get().top ?? []).map((l) => l.id)).toEqual(expect.arrayContaining(['playback-intake', 'playback-closed'])));
    // the clock's time reaches the layers' filter range as it moves
    const range = () => (mapCalls.lastProps!.liveLayers!.get().top.find((l) => l.id === 'playback-intake')!.props as { filterRange?: unknown }).filterRange;
    const first = JSON.stringify(range());
    await waitFor(() => expect(JSON.stringify(range())).not.toBe(first), { timeout: 3000 });
  });
});
