/**
 * Requests the workstation (工作台) needs beside the queries: the domain
 * configuration the data center replicates (so the renderer can run `decide`,
 * `suggestLeadUnit` and `computeDeadline` for previews with the site's own
 * calendar, taxonomy, matrix and ladder), the units an event can be dispatched
 * to, and the officer's saved views (kept in the replica's local preferences,
 * per signed-in account; they never leave this desktop).
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { Unit } from '../org/types';
import { EventFilter, EventSort, QueueId } from './queries';

/** The four documents a site edits (resources/config/*.json), one row each in the replicated `config` table. */
export const ConfigDocumentName = z.enum(['calendar', 'taxonomy', 'responsibility', 'workflow']);
export type ConfigDocumentName = z.infer<typeof ConfigDocumentName>;

export const ConfigDocuments = z.object({
  /**
   * The documents exactly as replicated. The caller validates and compiles them with
   * `parseDomainConfig` (core), which names the bad field if a document is broken.
   */
  documents: z.object({
    calendar: z.unknown(),
    taxonomy: z.unknown(),
    responsibility: z.unknown(),
    workflow: z.unknown(),
  }),
  /** per document, the change-log version that wrote it (0 when not replicated yet) */
  versions: z.record(ConfigDocumentName, z.number().int().nonnegative()),
});
export type ConfigDocuments = z.infer<typeof ConfigDocuments>;

export const UnitList = z.object({
  /** version of the replicated reference data the list was read at */
  version: z.string(),
  units: z.array(Unit),
});
export type UnitList = z.infer<typeof UnitList>;

/** Reported-time windows that move with the clock. */
export const SavedViewPeriod = z.enum(['today', '24h', '7d', '30d']);
export type SavedViewPeriod = z.infer<typeof SavedViewPeriod>;

/** A queue with filters and an order the officer named, e.g. "花东镇 城管 超期". */
export const SavedView = z
  .object({
    id: z.string().trim().min(1).max(64),
    name: z.string().trim().min(1).max(60),
    queue: QueueId,
    /** the filter without its queue (the queue above is the view's) */
    filter: EventFilter.omit({ queue: true }),
    sort: EventSort,
    /** a period relative to when the view is opened (today, last 24 h…); `filter.from/to` hold a fixed one */
    period: SavedViewPeriod.optional(),
    updatedAt: IsoInstant,
  })
  .strict();
export type SavedView = z.infer<typeof SavedView>;

export const SavedViewInput = SavedView.omit({ updatedAt: true });
export type SavedViewInput = z.input<typeof SavedViewInput>;

/** At most this many saved views per account; saving one more is `invalid_args`. */
export const MAX_SAVED_VIEWS = 50;

export const SavedViewList = z.object({ views: z.array(SavedView).max(MAX_SAVED_VIEWS) });
export type SavedViewList = z.infer<typeof SavedViewList>;

export const workstationRequests = {
  /** the replicated configuration documents; `unavailable` before the first snapshot has them */
  'config/get': { args: z.object({}).strict(), result: ConfigDocuments },
  /** every unit (departments, town governments, village committees), in the data center's order */
  'units/list': { args: z.object({}).strict(), result: UnitList },
  /** the signed-in account's saved views (`unauthenticated` when nobody is signed in) */
  'saved-views/list': { args: z.object({}).strict(), result: SavedViewList },
  /** create or replace (by id) one saved view; answers the whole list */
  'saved-views/save': { args: z.object({ view: SavedViewInput }).strict(), result: SavedViewList },
  /** delete one saved view (an unknown id is not an error); answers the whole list */
  'saved-views/delete': { args: z.object({ id: z.string().min(1).max(64) }).strict(), result: SavedViewList },
} as const;
