// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncStatus } from '../core/rpc/contract';
import { createRpcClient } from '../core/rpc/wire';
import { App } from './App';
import { RpcProvider } from './rpc/rpc-context';
import { fakeDistrictBridge, type FakeBridge } from './test/fake-bridge';

vi.mock('./map/DistrictMap', async () => ({ DistrictMap: (await import('./test/map-stub')).DistrictMapStub }));
vi.mock('./charts/EChart', async () => ({ EChart: (await import('./charts/EChartStub')).EChartStub }));

const live: SyncStatus = {
  state: 'live',
  dataCenterUrl: 'http://dc.example:7400',
  offlineSince: null,
  lastBatchAt: '2026-01-05T08:00:00.000Z',
  version: 'v1',
  progress: null,
  message: null,
};

function renderApp(bridge: FakeBridge) {
  return render(
    <RpcProvider client={createRpcClient(bridge)}>
      <App />
    </RpcProvider>,
  );
}

beforeEach(() => {
  localStorage.clear();
  history.replaceState(null, '', '/');
});
afterEach(cleanup);

describe('App shell', () => {
  it('shows the name and the sync state, data center and offline time, following pushed updates', async () => {
    const bridge = fakeDistrictBridge({}, { 'sync/status': () => live });
    renderApp(bridge);
    expect(screen.getByTestId('brand').textContent).toBe('呼应 · Huying');
    const badge = await screen.findByText('实时');
    expect(badge.closest('[data-testid=sync-status]')!.getAttribute('data-state')).toBe('live');
    expect(screen.getByTestId('sync-datacenter').textContent).toContain('http://dc.example:7400');
    expect(screen.queryByTestId('sync-offline-since')).toBeNull();

    act(() => bridge.service.emit('sync/status', { ...live, state: 'offline', offlineSince: '2026-01-05T09:30:00.000Z' }));
    expect(screen.getByTestId('sync-status').dataset.state).toBe('offline');
    expect(screen.getByTestId('sync-status').textContent).toContain('离线');
    expect(screen.getByTestId('sync-offline-since').textContent).toMatch(/^离线自 2026.01.05/);
    expect(screen.getByTestId('sync-last-batch').textContent).toMatch(/^最近更新 2026.01.05/);
  });

  it('shows a snapshot as a progress bar with rows, rate and time left', async () => {
    const snapshot: SyncStatus = {
      ...live,
      state: 'snapshot',
      progress: { rows: 250_000, bytes: 180_000_000, totalRows: 1_000_000, rowsPerSecond: 41_234.6, etaSeconds: 187 },
    };
    const bridge = fakeDistrictBridge({}, { 'sync/status': () => snapshot });
    renderApp(bridge);
    const bar = await screen.findByTestId('sync-progress-bar');
    expect(bar.getAttribute('aria-valuenow')).toBe('250000');
    expect(bar.getAttribute('aria-valuemax')).toBe('1000000');
    expect((bar.firstElementChild as HTMLElement).style.width).toBe('25.0%');
    const text = screen.getByTestId('sync-progress').textContent!;
    expect(text).toContain('已接收 250,000 / 1,000,000 行');
    expect(text).toContain('41,235 行/秒，已收 180.0 MB');
    expect(text).toContain('约剩 3:07');
    // while downloading, the last batch is not the news
    expect(screen.queryByTestId('sync-last-batch')).toBeNull();

    // without a total the bar sweeps (indeterminate) and there is no ETA
    act(() => bridge.service.emit('sync/status', { ...snapshot, progress: { rows: 5_000, bytes: 900_000, totalRows: null, rowsPerSecond: 0, etaSeconds: null } }));
    expect(screen.getByTestId('sync-progress-bar').dataset.indeterminate).toBe('true');
    expect(screen.getByTestId('sync-progress').textContent).toBe('已接收 5,000 行');

    act(() => bridge.service.emit('sync/status', live));
    expect(screen.queryByTestId('sync-progress')).toBeNull();
  });

  it('defaults to zh-CN and the workstation, and switches to English and the wall, remembering both', async () => {
    renderApp(fakeDistrictBridge());
    // the workstation, with the fake service's signed-in duty officer in the header
    await screen.findByTestId('workstation');
    expect(screen.getByTestId('officer').dataset.role).toBe('duty_officer');
    const app = screen.getByTestId('app');
    expect(app.dataset.locale).toBe('zh-CN');
    expect(app.dataset.mode).toBe('workstation');
    expect(document.documentElement.lang).toBe('zh-CN');
    const queueLabel = () => screen.getByTestId('queue-to_dispatch').querySelector('.queue__name')!.textContent;
    expect(queueLabel()).toBe('待派遣');

    fireEvent.click(screen.getByRole('button', { name: 'English' }));
    expect(app.dataset.locale).toBe('en');
    expect(queueLabel()).toBe('To dispatch');
    expect(document.documentElement.lang).toBe('en');

    fireEvent.click(screen.getByRole('button', { name: 'Wall' }));
    expect(app.dataset.mode).toBe('wall');
    expect(screen.getByTestId('clock')).toBeTruthy();
    expect(new URLSearchParams(location.search).get('mode')).toBe('wall');
    expect(new URLSearchParams(location.search).get('lang')).toBe('en');
    expect(localStorage.getItem('huying.mode')).toBe('wall');
    expect(localStorage.getItem('huying.locale')).toBe('en');
  });

  it('opens in the mode and language the URL asks for', async () => {
    history.replaceState(null, '', '/?mode=wall&lang=en');
    localStorage.setItem('huying.mode', 'workstation');
    renderApp(fakeDistrictBridge());
    await screen.findByTestId('wall-map');
    expect(screen.getByTestId('app').dataset.mode).toBe('wall');
    expect(screen.getByTestId('app').dataset.locale).toBe('en');
    expect(screen.getByTestId('mode-switch').querySelector('[aria-pressed=true]')!.textContent).toBe('Wall');
  });

  it('translates a failing sync status as its error code', async () => {
    const bridge = fakeDistrictBridge(
      {},
      {
        'sync/status': () => {
          throw new Error('boom');
        },
      },
    );
    renderApp(bridge);
    await screen.findByText('内部错误');
    expect(screen.getByTestId('sync-status').dataset.state).toBe('error');
  });
});
