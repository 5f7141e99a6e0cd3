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
});
