/**
 * Read queries over the replica (issue 4 point 4): event lists, detail, queue
 * counts, KPIs and binary map columns. They answer `unavailable` until the
 * query layer lands, so the renderer can already be built against the contract
 * and its fake service.
 */
import { HuyingError, type Handlers } from '../../../core/index';
import type { queryRequests } from '../../../core/rpc/queries';
import type { wallRequests } from '../../../core/rpc/wall';

/** The wall's reads (map/grid-stats, map/workers, map/modules, wall/state) are replica queries too. */
type QueryHandlers = Pick<Handlers, keyof typeof queryRequests | keyof typeof wallRequests>;

export function createQueryHandlers(): QueryHandlers {
  const notYet = () => {
    throw new HuyingError('unavailable', 'the replica query layer is not built yet');
  };
  return {
    'events/list': notYet,
    'events/detail': notYet,
    'events/counts': notYet,
    'stats/kpis': notYet,
    'map/events': notYet,
    'map/density': notYet,
    'map/playback': notYet,
    'map/grid-stats': notYet,
    'map/workers': notYet,
    'map/modules': notYet,
    'wall/state': notYet,
  };
}
