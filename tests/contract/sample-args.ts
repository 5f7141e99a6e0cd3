/**
 * Valid arguments for every request of the RPC contract, for the contract suite
 * (contract-suite.ts): a request with required arguments cannot be called with
 * none, and a round trip with real arguments also proves that the transport
 * delivers them (parsed, defaults filled in) to the handler.
 *
 * The table is typed against the contract: a request added to
 * src/core/rpc/contract.ts without a sample here fails type-checking, and a
 * sample that no longer fits its request's argument type does too. Where a
 * request takes optional arguments, the sample gives some, so they cross the
 * transport as well.
 */
import type { RequestArgs, RequestName } from '../../src/core/rpc/contract';

const TOWN = '440114001000';

export const sampleArgs: { readonly [N in RequestName]: RequestArgs<N> } = {
  'app/info': {},
  'areas/tree': {},
  'grids/geometry': { asOf: '2024-01-01' },
  'sync/status': {},
  'sync/set-scope': { scope: TOWN },
  // defaults (assisting units, clocks, attachments) are filled in on the far side of the transport
  'commands/submit': { mutation: { name: 'event/command', eventId: 'ev-1', command: { type: 'dispatch', leadUnitId: 'dept-cg', reason: '路面积水' } } },
  'outbox/list': { states: ['rejected', 'confirmed'], limit: 50 },
  'outbox/dismiss': { mutationId: 1 },
  'events/list': { filter: { queue: 'to_dispatch', townCodes: [TOWN], openOnly: true }, sort: 'deadline', offset: 0, limit: 50 },
  'events/detail': { id: 'ev-1' },
  'events/counts': {},
  'stats/kpis': { period: '7d', areaCode: TOWN },
  'map/events': { filter: { queue: 'all', openOnly: true }, ids: ['ev-1'] },
  'map/density': { period: '30d', cellMetres: 250, categoryCodes: ['04'] },
  'map/playback': { from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' },
  'auth/session': {},
  'auth/login': { login: 'duty', password: 'huying-demo' },
  'auth/logout': {},
  'config/get': {},
  'units/list': {},
  'saved-views/list': {},
  'saved-views/save': {
    view: { id: 'v-town-overdue', name: '新华街 超期', queue: 'overdue_warning', filter: { townCodes: [TOWN] }, sort: 'deadline', period: '7d' },
  },
  'saved-views/delete': { id: 'v-town-overdue' },
  'map/grid-stats': { period: '30d' },
  'map/workers': {},
  'map/modules': { modules: ['emergency_resources', 'one_key_points'] },
  'wall/state': { wallId: 'main' },
};
