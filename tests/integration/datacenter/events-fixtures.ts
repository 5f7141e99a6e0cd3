/**
 * The harness the events, workflow and scheduler suites share: a migrated database with the demo
 * district seeded, the bundled domain configuration loaded, the real events store, intake wired
 * to it, and actors of every role. Commands go through the real change log (`writeReplicated`).
 */
import { type sql } from 'drizzle-orm';
import type { Actor } from '../../../src/core/workflow/roles';
import type { CommandInput } from '../../../src/core/workflow/commands';
import { createDomainConfigService, type DomainConfigService } from '../../../src/datacenter/config/service';
import { generateDemoDistrict } from '../../../src/datacenter/demo';
import type { DemoDistrict } from '../../../src/datacenter/demo/types';
import { createEventsStore, type EventsStore } from '../../../src/datacenter/events/store';
import type { WriteReplicated } from '../../../src/datacenter/events/replication';
import { createPlacementReferenceCache } from '../../../src/datacenter/intake/reference';
import { createIntakeService, type IntakeService } from '../../../src/datacenter/intake/service';
import { seedDemo } from '../../../src/datacenter/reference/seed';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { writeReplicated } from '../../../src/datacenter/sync/write';
import { applyEventCommand, type CommandResult } from '../../../src/datacenter/workflow/authority';
import type { Backend } from './backends';

export const demo: DemoDistrict = generateDemoDistrict();
export const DISTRICT = demo.district.code;
export const [TOWN_A, TOWN_B] = demo.towns.map((t) => t.code) as [string, string];
/** a grid of town A and one of town B */
export const GRID_A = demo.grids.find((g) => g.townCode === TOWN_A)!;
export const GRID_B = demo.grids.find((g) => g.townCode === TOWN_B)!;
export const DEPT = demo.units.find((u) => u.kind === 'department')!.id;
export const DEPT_2 = demo.units.filter((u) => u.kind === 'department')[1]!.id;

const actor = (id: string, role: Actor['role'], organisationId: string, scope: Actor['scope']): Actor => ({ id, name: id, role, organisationId, scope });
export const actors = {
  admin: actor('u-admin', 'admin', `district-${DISTRICT}`, { level: 'district', code: DISTRICT }),
  desk: actor('u-desk', 'duty_officer', `district-${DISTRICT}`, { level: 'district', code: DISTRICT }),
  supervisor: actor('u-sup', 'supervisor', `district-${DISTRICT}`, { level: 'district', code: DISTRICT }),
  agent: actor('u-agent', 'intake_agent', `district-${DISTRICT}`, { level: 'district', code: DISTRICT }),
  wall: actor('u-wall', 'wall_viewer', `district-${DISTRICT}`, { level: 'district', code: DISTRICT }),
  townA: actor('u-town-a', 'duty_officer', `town-${TOWN_A}`, { level: 'town', code: TOWN_A }),
  townB: actor('u-town-b', 'duty_officer', `town-${TOWN_B}`, { level: 'town', code: TOWN_B }),
  unit: actor('u-unit', 'unit_operator', DEPT, { level: 'district', code: DISTRICT }),
  unit2: actor('u-unit-2', 'unit_operator', DEPT_2, { level: 'district', code: DISTRICT }),
} satisfies Record<string, Actor>;

/** PGlite start, six migrations and the demo seed: seconds alone, a minute on a loaded 2-core machine */
export const HARNESS_TIMEOUT_MS = 180_000;

export interface Harness {
  store: DataCenterDb;
  config: DomainConfigService;
  events: EventsStore;
  intake: IntakeService;
  reference: () => ReturnType<ReturnType<typeof createPlacementReferenceCache>['get']>;
  write: WriteReplicated;
  /** the harness clock (intake, the events store); set `harness.now` to move it */
  now: Date;
  command(eventId: string, command: CommandInput, who: Actor, at?: Date): Promise<CommandResult>;
  /** POSTs a JSON intake payload through the intake service */
  submit(source: Parameters<IntakeService['submit']>[0], payload: unknown): ReturnType<IntakeService['submit']>;
  /** rows of a raw SQL query */
  rows<T>(query: ReturnType<typeof sql>): Promise<T[]>;
}

/** The real change log's writeReplicated under the port's type. */
export const realWrite: WriteReplicated = (db, work) => writeReplicated(db, work);

export async function openHarness(backend: Backend, start = new Date('2025-11-26T02:00:00.000Z')): Promise<Harness> {
  const store = await backend.fresh();
  await seedDemo(store.db);
  const h = { now: start } as Harness;
  const clock = () => h.now;
  const config = createDomainConfigService({ db: store.db, writeReplicated: realWrite, clock, checkEveryMs: 0 });
  await config.ensureLoaded();
  const events = createEventsStore({ db: store.db, writeReplicated: realWrite, config, clock });
  const reference = createPlacementReferenceCache(store.db, { clock }).get;
  const intake = createIntakeService({ db: store.db, sink: events, reference, clock, categories: config.categories });
  Object.assign(h, {
    store,
    config,
    events,
    intake,
    reference,
    write: realWrite,
    async command(eventId: string, command: CommandInput, who: Actor, at?: Date) {
      const ctx = await config.current();
      const { result } = await writeReplicated(store.db, (tx, out) => applyEventCommand(tx, out, { eventId, command, actor: who, now: at ?? h.now, ctx }));
      return result;
    },
    submit(source: Parameters<IntakeService['submit']>[0], payload: unknown) {
      return intake.submit(source, { text: JSON.stringify(payload), contentType: 'application/json' });
    },
    async rows<T>(query: ReturnType<typeof sql>) {
      return rowsOf<T>(await store.db.execute(query));
    },
  });
  return h;
}

/** A 12345 complaint at a grid's label point (WGS84 sent as such). */
export function hotlineOrder(orderNo: string, grid = GRID_A, extra: Record<string, unknown> = {}) {
  return {
    orderNo,
    appealType: '投诉',
    content: '夜间施工噪音扰民',
    classification: '噪声扰民',
    longitude: grid.labelPoint[0],
    latitude: grid.labelPoint[1],
    coordinateSystem: 'wgs84',
    acceptedAt: '2025-11-26 09:15:00',
    ...extra,
  };
}

/** A grid-worker patrol report (filed at once) in a grid. */
export function patrolReport(reportId: string, grid = GRID_A, extra: Record<string, unknown> = {}) {
  return {
    reportId,
    workerId: 'W-1',
    gridCode: grid.code,
    baseItem: '023',
    description: '路面大面积污渍',
    location: { lon: grid.labelPoint[0], lat: grid.labelPoint[1] },
    photos: ['https://grid.example.cn/p/1.jpg'],
    reportedAt: '2025-11-26T09:30:00+08:00',
    ...extra,
  };
}

export function expectCreated(outcome: Awaited<ReturnType<IntakeService['submit']>>): { eventId: string; caseNo: string } {
  if (outcome.kind !== 'created') throw new Error(`expected an event to be created, got ${JSON.stringify(outcome)}`);
  return { eventId: outcome.eventId, caseNo: outcome.caseNo };
}
