// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HuyingError } from '../../core/errors';
import { createRpcClient } from '../../core/rpc/wire';
import { I18nProvider } from '../i18n';
import { RpcProvider } from '../rpc/rpc-context';
import { fakeDistrictBridge, type FakeBridge } from '../test/fake-bridge';
import { fakeDistrict } from '../test/fake-district';
import { mapCalls, resetMapCalls } from '../test/map-stub';
import { DistrictView } from './DistrictView';

vi.mock('./DistrictMap', async () => ({ DistrictMap: (await import('../test/map-stub')).DistrictMapStub }));

function renderView(bridge: FakeBridge, locale: 'zh-CN' | 'en' = 'zh-CN') {
  return render(
    <RpcProvider client={createRpcClient(bridge)}>
      <I18nProvider locale={locale}>
        <DistrictView mode="workstation" />
      </I18nProvider>
    </RpcProvider>,
  );
}

beforeEach(resetMapCalls);
afterEach(cleanup);

describe('DistrictView', () => {
  it('shows loading, then the totals and all towns with their counts', async () => {
    const bridge = fakeDistrictBridge({ towns: 10, villagesPerTown: 3, gridsPerVillage: 4 });
    renderView(bridge);
    expect(screen.getByTestId('loading').textContent).toContain('正在加载辖区地图');
    expect((await screen.findByTestId('town-count')).textContent).toBe('10');
    expect(screen.getByTestId('village-count').textContent).toBe('30');
    expect(screen.getByTestId('grid-count').textContent).toBe('120');
    const items = screen.getAllByTestId('town-item');
    expect(items).toHaveLength(10);
    expect(within(items[0]!).getByTestId('town-village-count').textContent).toBe('3村居');
    expect(within(items[0]!).getByTestId('town-grid-count').textContent).toBe('12网格');
    expect(items.map((i) => i.textContent)).toContain('新华街街道3村居12网格');
    expect(screen.getByTestId('district-map').dataset.grids).toBe('120');
    expect(bridge.calls.sort()).toEqual(['areas/tree', 'grids/geometry']);
  });

  it('zooms to a town when it is clicked, and back to the district on reset', async () => {
    const bridge = fakeDistrictBridge({ towns: 4 });
    renderView(bridge);
    const items = await screen.findAllByTestId('town-item');
    fireEvent.click(items[2]!);
    const town = mapCalls.lastProps!.model.towns[2]!;
    expect(mapCalls.fits).toEqual([town.bbox]);
    expect(screen.getByTestId('district-map').dataset.selected).toBe(town.code);
    expect(items[2]!.getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByTestId('reset-view'));
    expect(mapCalls.fits).toEqual([town.bbox, mapCalls.lastProps!.model.district.bbox]);
    expect(screen.getByTestId('district-map').dataset.selected).toBe('');
  });

  it('shows a failed request as its translated error code and message, and retries', async () => {
    const { geometry } = fakeDistrict({ towns: 2 });
    let fail = true;
    const bridge = fakeDistrictBridge({ towns: 2 }, {
      'grids/geometry': () => {
        if (fail) throw new HuyingError('unavailable', 'replica not ready');
        return geometry;
      },
    });
    renderView(bridge, 'en');
    const panel = await screen.findByTestId('error-panel');
    expect(panel.dataset.code).toBe('unavailable');
    expect(panel.textContent).toContain('Data center unreachable');
    expect(panel.textContent).toContain('replica not ready');
    fail = false;
    fireEvent.click(screen.getByTestId('retry'));
    expect((await screen.findByTestId('grid-count')).textContent).toBe(String(geometry.grids.length));
    expect(screen.queryByTestId('error-panel')).toBeNull();
    // only the failed request was asked again
    expect(bridge.calls.filter((c) => c === 'areas/tree')).toHaveLength(1);
    expect(bridge.calls.filter((c) => c === 'grids/geometry')).toHaveLength(2);
  });
});
