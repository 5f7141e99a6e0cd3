/**
 * Read queries over the replica (issue 4 point 4), grouped by domain:
 * events/ (lists with filters and deadline order, detail, queue counts),
 * stats/ (KPIs with the declared indicator formulas), map/ (binary columns for
 * deck.gl, density, playback, grid figures, workers, module layers, grid
 * geometry as of a day), wall/ (alerts and directives), config/ (replicated
 * configuration, units, saved views). docs/queries.md describes each answer
 * and the indexes behind it.
 *
 * Every handler reads the replica synchronously through better-sqlite3
 * prepared statements (SQL text is cached per shape in QueryContext); nothing
 * here writes replicated tables — only the local `kpi_facts` cache and the
 * saved views in `preferences`.
 */
import type { Handlers } from '../../../core/index';
import type { queryRequests } from '../../../core/rpc/queries';
import type { wallRequests } from '../../../core/rpc/wall';
import type { workstationRequests } from '../../../core/rpc/workstation';
import { configDocuments, unitList } from './config/config-handlers';
import { deleteView, listSavedViews, saveView } from './config/saved-views';
import { QueryContext, type QueryDeps } from './context';
import { countQueues } from './events/counts';
import { eventDetail } from './events/detail';
import { listEvents } from './events/list';
import { mapDensity } from './map/density';
import { mapEvents } from './map/events-layer';
import { gridsGeometry } from './map/geometry';
import { gridStats } from './map/grid-stats';
import { mapPlayback } from './map/playback';
import { mapModules, mapWorkers } from './map/workers';
import { FactsStore } from './stats/facts';
import { KpiQueries } from './stats/kpis';
import { wallState } from './wall/wall-state';

export { QueryContext, type QueryDeps } from './context';

type QueryHandlers = Pick<
  Handlers,
  keyof typeof queryRequests | keyof typeof wallRequests | keyof typeof workstationRequests | 'grids/geometry'
>;

export function createQueryHandlers(deps: QueryDeps): QueryHandlers {
  const ctx = new QueryContext(deps);
  const facts = new FactsStore(ctx);
  const kpis = new KpiQueries(ctx, facts);
  return {
    'events/list': (args) => listEvents(ctx, args),
    'events/detail': (args) => eventDetail(ctx, args),
    'events/counts': () => countQueues(ctx),
    'stats/kpis': (args) => kpis.kpis(args),
    'map/events': (args) => mapEvents(ctx, args),
    'map/density': (args) => mapDensity(ctx, args),
    'map/playback': (args) => mapPlayback(ctx, facts, args),
    'map/grid-stats': (args) => gridStats(ctx, args),
    'map/workers': () => mapWorkers(ctx),
    'map/modules': (args) => mapModules(ctx, args),
    'wall/state': (args) => wallState(ctx, args),
    'grids/geometry': (args) => gridsGeometry(ctx, args),
    'config/get': () => configDocuments(ctx),
    'units/list': () => unitList(ctx),
    'saved-views/list': () => listSavedViews(ctx),
    'saved-views/save': (args) => saveView(ctx, args),
    'saved-views/delete': (args) => deleteView(ctx, args),
  };
}
