/**
 * The drafts of one intake set as near-duplicate candidates of the drafts after them (see
 * `createSet` in service.ts), bucketed by position so that a set of hundreds of payloads is not
 * compared pairwise. A prefilter only: `findNearDuplicates` decides, with the same rule as for
 * the events the store found.
 */
import type { IntakeDraft } from './draft';
import type { DuplicateCandidate } from './duplicates';

/** A little less than a degree of latitude in metres: cells are at least the radius high. */
const METRES_PER_DEGREE = 110_000;

/** What the index reads of a draft. */
export type NearDraft = Pick<IntakeDraft, 'location' | 'categoryCode' | 'reportedAt'>;

export interface NearIndex {
  /** the draft, to be created as event `eventId` (ignored without a position or a category) */
  add(eventId: string, draft: NearDraft): void;
  /** the drafts added so far that may lie within the radius of this one (a superset of those that do) */
  around(draft: NearDraft): DuplicateCandidate[];
}

export function createNearIndex(radiusMetres: number): NearIndex {
  // a cell is the radius high and wide in degrees of latitude; a degree of longitude is shorter
  // by cos(latitude), so a search looks that many more cells to the east and west
  const size = Math.max(radiusMetres, 1) / METRES_PER_DEGREE;
  const cells = new Map<string, DuplicateCandidate[]>();
  const cellOf = (lon: number, lat: number) => [Math.floor(lat / size), Math.floor(lon / size)] as const;
  return {
    add(eventId, draft) {
      if (!draft.location || !draft.categoryCode) return;
      const [row, col] = cellOf(draft.location[0], draft.location[1]);
      const key = `${row}:${col}`;
      let list = cells.get(key);
      if (!list) cells.set(key, (list = []));
      list.push({ eventId, categoryCode: draft.categoryCode, location: draft.location, reportedAt: draft.reportedAt });
    },
    around(draft) {
      if (!draft.location || !draft.categoryCode || cells.size === 0) return [];
      const [row, col] = cellOf(draft.location[0], draft.location[1]);
      const wide = Math.ceil(1 / Math.max(Math.cos((draft.location[1] * Math.PI) / 180), 0.01));
      const out: DuplicateCandidate[] = [];
      for (let r = row - 1; r <= row + 1; r++) {
        for (let c = col - wide; c <= col + wide; c++) {
          const list = cells.get(`${r}:${c}`);
          if (list) out.push(...list);
        }
      }
      return out;
    },
  };
}
