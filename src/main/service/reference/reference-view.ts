/**
 * The replicated reference data as the query handlers read it: loaded from
 * SQLite once per reference version and kept in memory (a few MB for a
 * district), so repeated `areas/tree` and `grids/geometry` calls do not
 * re-parse 1,401 polygons. When the replica is still empty, a read waits for
 * the first snapshot for a while and then answers `unavailable`.
 */
import { HuyingError, type Area, type Grid } from '../../../core/index';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { Replica } from '../store/open';
import { readSyncState } from '../store/sync-state';
import { readAreas, readGrids } from './reference-store';

export interface ReferenceSet {
  version: string;
  areas: Area[];
  /** grids in force today (valid_to unset or later than today) */
  grids: Grid[];
}

export interface ReadySource {
  whenReady(timeoutMs: number): Promise<boolean>;
}

export class ReferenceView {
  private cached: { key: string; set: ReferenceSet } | null = null;
  private readonly derived = new Map<string, { key: string; value: unknown }>();

  constructor(
    private readonly replica: Replica,
    private readonly sync: ReadySource,
    private readonly clock: Clock,
    private readonly readyTimeoutMs: number,
    private readonly log?: Logger,
  ) {}

  async get(): Promise<ReferenceSet> {
    let state = readSyncState(this.replica.sqlite);
    if (!state) {
      await this.sync.whenReady(this.readyTimeoutMs);
      state = readSyncState(this.replica.sqlite);
      if (!state) throw new HuyingError('unavailable', 'no reference data yet: the data center has not been reached since this replica was created');
    }
    const today = new Date(this.clock.now()).toISOString().slice(0, 10);
    const key = `${state.referenceVersion}@${today}`;
    if (this.cached?.key !== key) {
      const grids = readGrids(this.replica, this.log).filter((g) => g.validTo === null || g.validTo.slice(0, 10) > today);
      this.cached = { key, set: { version: state.referenceVersion, areas: readAreas(this.replica, this.log), grids } };
      this.derived.clear();
    }
    return this.cached.set;
  }

  /** A value computed from the current set, memoised until the set changes. */
  async derive<T>(name: string, build: (set: ReferenceSet) => T): Promise<T> {
    const set = await this.get();
    const key = this.cached!.key;
    const hit = this.derived.get(name);
    if (hit?.key === key) return hit.value as T;
    const value = build(set);
    this.derived.set(name, { key, value });
    return value;
  }

  invalidate(): void {
    this.cached = null;
    this.derived.clear();
  }
}
