// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../core/rpc/contract';
import { createRpcClient } from '../../core/rpc/wire';
import { I18nProvider } from '../i18n';
import { RpcProvider } from '../rpc/rpc-context';
import { fakeDistrictBridge } from '../test/fake-bridge';
import { SyncBadge } from './SyncBadge';

afterEach(cleanup);

const starting: SyncStatus = {
  state: 'connecting',
  dataCenterUrl: 'http://127.0.0.1:41234',
  offlineSince: null,
  lastBatchAt: null,
  version: null,
  progress: null,
  message: '正在启动数据中心和数据服务…',
};

describe('SyncBadge', () => {
  it("shows the message of a connecting status, following pushed updates, and not once the link is up", async () => {
    const bridge = fakeDistrictBridge({}, { 'sync/status': () => starting });
    render(
      <RpcProvider client={createRpcClient(bridge)}>
        <I18nProvider locale="zh-CN">
          <SyncBadge />
        </I18nProvider>
      </RpcProvider>,
    );
    expect((await screen.findByTestId('sync-message')).textContent).toBe('正在启动数据中心和数据服务…');
    expect(screen.getByTestId('sync-status').dataset.state).toBe('connecting');

    const migrating = '数据中心正在升级存储（迁移 2/3：sync-rows-text），大库可能需要几分钟，请勿关闭…';
    act(() => bridge.service.emit('sync/status', { ...starting, message: migrating }));
    expect(screen.getByTestId('sync-message').textContent).toBe(migrating);

    act(() => bridge.service.emit('sync/status', { ...starting, message: '正在启动数据中心和数据服务…' }));
    expect(screen.getByTestId('sync-message').textContent).toBe('正在启动数据中心和数据服务…');

    act(() => bridge.service.emit('sync/status', { ...starting, state: 'live', lastBatchAt: '2026-01-05T08:00:00.000Z', message: 'caught up' }));
    expect(screen.getByTestId('sync-status').dataset.state).toBe('live');
    expect(screen.queryByTestId('sync-message')).toBeNull();
  });

  it('shows a replica image as a determinate bar of bytes against the file, downloading then switching in, never rows; a row snapshot as before', async () => {
    const downloading: SyncStatus = {
      ...starting,
      state: 'snapshot',
      message: null,
      progress: { rows: 0, bytes: 120_000_000, totalRows: null, rowsPerSecond: 0, etaSeconds: 5, kind: 'image', phase: 'download', totalBytes: 523_000_000 },
    };
    const bridge = fakeDistrictBridge({}, { 'sync/status': () => downloading });
    const { rerender } = render(
      <RpcProvider client={createRpcClient(bridge)}>
        <I18nProvider locale="zh-CN">
          <SyncBadge />
        </I18nProvider>
      </RpcProvider>,
    );
    const bar = await screen.findByTestId('sync-progress-bar');
    expect(bar.dataset.indeterminate).toBeUndefined();
    expect(bar.getAttribute('aria-valuenow')).toBe('120000000');
    expect(bar.getAttribute('aria-valuemax')).toBe('523000000');
    expect((bar.firstElementChild as HTMLElement).style.width).toBe('22.9%');
    expect(screen.getByTestId('sync-progress').textContent).toBe('正在下载副本镜像 120 / 523 MB · 约剩 5 s');

    act(() => bridge.service.emit('sync/status', { ...downloading, progress: { ...downloading.progress!, phase: 'copy', bytes: 43_500_000, totalBytes: 87_000_000, etaSeconds: null } }));
    expect(screen.getByTestId('sync-progress').textContent).toBe('正在切换副本镜像 43.5 / 87.0 MB');
    expect((screen.getByTestId('sync-progress-bar').firstElementChild as HTMLElement).style.width).toBe('50.0%');

    rerender(
      <RpcProvider client={createRpcClient(bridge)}>
        <I18nProvider locale="en">
          <SyncBadge />
        </I18nProvider>
      </RpcProvider>,
    );
    act(() => bridge.service.emit('sync/status', downloading));
    expect(screen.getByTestId('sync-progress').textContent).toBe('Downloading replica image 120 / 523 MB · about 5 s left');
    expect(screen.getByTestId('sync-progress').textContent).not.toMatch(/rows/);

    // a row snapshot (no kind, as older data services send it): rows against the row total, as before
    const rows = { rows: 250_000, bytes: 180_000_000, totalRows: 1_000_000, rowsPerSecond: 41_234.6, etaSeconds: 187 };
    act(() => bridge.service.emit('sync/status', { ...downloading, progress: rows }));
    const rowBar = screen.getByTestId('sync-progress-bar');
    expect(rowBar.getAttribute('aria-valuenow')).toBe('250000');
    expect(rowBar.getAttribute('aria-valuemax')).toBe('1000000');
    expect((rowBar.firstElementChild as HTMLElement).style.width).toBe('25.0%');
    expect(screen.getByTestId('sync-progress').textContent).toBe('250,000 / 1,000,000 rows received · 41,235 rows/s, 180.0 MB received · about 3:07 left');
  });
});
