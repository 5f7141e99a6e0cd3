/**
 * A Bridge in front of the contract's test double (`createFakeService`),
 * using the contract's own `answer` so arguments are validated and failures
 * arrive as error data, exactly as over IPC or the WebSocket.
 */
import type { RequestName } from '../../core/rpc/contract';
import { createFakeService, type FakeService } from '../../core/rpc/fake-service';
import { answer, type Bridge } from '../../core/rpc/wire';
import { fakeDistrict, type FakeDistrictOptions } from './fake-district';

export interface FakeBridge extends Bridge {
  service: FakeService;
  /** names of the requests invoked so far */
  calls: RequestName[];
}

export function bridgeOver(service: FakeService): FakeBridge {
  const calls: RequestName[] = [];
  return {
    service,
    calls,
    invoke(name, args) {
      calls.push(name as RequestName);
      return answer(service.handlers, name, args);
    },
    subscribe(name, listener) {
      return service.subscribe(name as 'sync/status', listener);
    },
  };
}

/** A fake service answering with a `fakeDistrict` of the given size; other handlers can be replaced. */
export function fakeDistrictBridge(options: FakeDistrictOptions = {}, partial: Parameters<typeof createFakeService>[0] = {}): FakeBridge {
  const { tree, geometry } = fakeDistrict(options);
  return bridgeOver(createFakeService({ 'areas/tree': () => tree, 'grids/geometry': () => geometry, ...partial }));
}
