/**
 * A schema migration of the data center's store as the hosts that start it hear of it — Electron main
 * from the utility process's `{ type: 'migration', … }` messages (src/main/datacenter-host.ts), the web
 * host from the child's "store migration started/finished" lines (src/main/web-host/embedded-datacenter.ts):
 * said before the migration runs and after it committed, so that a host stops its ready clock in between
 * (docs/datacenter.md, "Long migrations and the hosts").
 */
export interface MigrationStep {
  phase: 'start' | 'done';
  id: number;
  name: string;
  /** 1-based among the migrations this start applies */
  index: number;
  count: number;
  /** how long it took (`done` only, when said) */
  ms?: number;
}

/** The step a host was told of, from its phase and the migration's fields as received; null when they are not one. */
export function migrationStepOf(phase: unknown, fields: unknown): MigrationStep | null {
  if ((phase !== 'start' && phase !== 'done') || typeof fields !== 'object' || fields === null) return null;
  const m = fields as Partial<Record<keyof MigrationStep, unknown>>;
  if (typeof m.id !== 'number' || typeof m.name !== 'string') return null;
  const index = typeof m.index === 'number' ? m.index : 1;
  const count = typeof m.count === 'number' ? m.count : index;
  return { phase, id: m.id, name: m.name, index, count, ...(typeof m.ms === 'number' ? { ms: m.ms } : {}) };
}

/** "migration 8 sync-rows-text, 1 of 2" (", 38.0 s" when its time is known), for a host's log lines and errors. */
export function describeMigrationStep(step: MigrationStep): string {
  const took = step.ms === undefined ? '' : `, ${(step.ms / 1000).toFixed(1)} s`;
  return `migration ${step.id} ${step.name}, ${step.index} of ${step.count}${took}`;
}

