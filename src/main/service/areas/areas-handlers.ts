/** Requests about the area hierarchy (区 → 镇/街 → 村/社区). */
import type { Handlers } from '../../../core/index';
import type { ReferenceView } from '../reference/reference-view';
import { buildAreaTree } from './area-tree';

export function createAreasHandlers(reference: ReferenceView): Pick<Handlers, 'areas/tree'> {
  return {
    'areas/tree': () => reference.derive('areas/tree', (set) => buildAreaTree(set.version, set.areas, set.grids)),
  };
}
