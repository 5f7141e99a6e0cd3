/** Requests about base grids (基础网格). */
import type { Handlers } from '../../../core/index';
import type { ReferenceView } from '../reference/reference-view';
import { buildGridsGeometry } from './grids-geometry';

export function createGridsHandlers(reference: ReferenceView): Pick<Handlers, 'grids/geometry'> {
  return {
    'grids/geometry': () => reference.derive('grids/geometry', (set) => buildGridsGeometry(set.version, set.areas, set.grids)),
  };
}
