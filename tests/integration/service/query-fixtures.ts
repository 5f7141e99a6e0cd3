/**
 * Replicas for the query tests, filled through the real write path of the
 * sync client (RowWriter → staging tables → swapInSnapshot for a snapshot;
 * applyBatch for live batches), with events made by the core workflow
 * (`decide`, the same function the data center's authority runs) so their
 * clocks, audit trails and facts are exactly what production writes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  decide,
  newEvent,
  parseDomainConfig,
  type Actor,
  type AuditEntry,
  type CommandInput,
  type DomainConfig,
  type EventRecord,
  type EventSource,
  type Urgency,
} from '../../../src/core/index';
import type { SessionUser } from '../../../src/core/rpc/session';
import { createQueryHandlers } from '../../../src/main/service/queries/index';
import { ReferenceView } from '../../../src/main/service/reference/reference-view';
import { openReplica, type Replica } from '../../../src/main/service/store/open';
import { RowWriter } from '../../../src/main/service/store/replicated-rows';
import { applyBatch, stageRows, swapInSnapshot } from '../../../src/main/service/store/replica-writes';
import { readSyncState } from '../../../src/main/service/store/sync-state';
import { makeDistrict, type District } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const readJson = (f: string) => JSON.parse(readFileSync(path.join(ROOT, f), 'utf8')) as unknown;

export const CONFIG_DOCS = {
  calendar: readJson('resources/config/calendar-cn.json'),
  taxonomy: readJson('resources/config/taxonomy-demo.json'),
  responsibility: readJson('resources/config/responsibility-demo.json'),
  workflow: readJson('resources/config/workflow-demo.json'),
};

let compiled: DomainConfig | null = null;

/** The demo configuration, compiled once. */
export function domainConfig(): DomainConfig {
  if (compiled) return compiled;
  const r = parseDomainConfig(CONFIG_DOCS);
  if (!r.ok) throw new Error(r.error.message);
  compiled = r.value;
  return compiled;
}

export const TOWN_A = '440114001000';
export const TOWN_B = '440114002000';
export const VILLAGE_A1 = '440114001001';
export const GRID_A1 = '440114001001001';

export const ADMIN: Actor = { id: 'u-admin', name: '管理员', role: 'admin', organisationId: 'district', scope: { level: 'district', code: '440114' } };
export const SUPERVISOR: Actor = { id: 'u-sup', name: '督查员', role: 'supervisor', organisationId: 'district', scope: { level: 'district', code: '440114' } };
export const SUPERVISOR_USER: SessionUser = { id: 'u-sup', login: 'sup', name: '督查员', role: 'supervisor', organisationId: 'district', scope: { level: 'district', code: '440114' } };

const H = 3_600_000;

export interface EventSpec {
  id: string;
  reportedAt: number;
  town?: string;
  village?: string;
  grid?: string | null;
  category?: string;
  source?: EventSource;
  urgency?: Urgency;
  title?: string;
  description?: string;
  address?: string;
  location?: [number, number] | null;
  duplicateCandidates?: string[];
  /** commands in order: [command, at (ms), actor?] */
  steps?: [CommandInput, number, Actor?][];
}

/** A record and its audit trail, every step decided by core `decide`. */
export function makeEvent(spec: EventSpec, ctx: DomainConfig = domainConfig()): { record: EventRecord; audit: AuditEntry[] } {
  const town = spec.town ?? TOWN_A;
  const village = spec.village ?? (town === TOWN_A ? VILLAGE_A1 : '440114002001');
  const grid = spec.grid === undefined ? (town === TOWN_A ? GRID_A1 : '440114002001001') : spec.grid;
  let wf = newEvent({
    id: spec.id,
    area: { districtCode: '440114', townCode: town, villageCode: village, gridCode: grid },
    reportedAt: new Date(spec.reportedAt),
    categoryCode: spec.category ?? '0401',
  });
  const at = new Date(spec.reportedAt).toISOString();
  const audit: AuditEntry[] = [
    { eventId: spec.id, seq: 1, at, actorId: 'src', actorName: 'source', role: 'intake_agent', organisationId: 'district', command: 'report', from: 'reported', to: 'reported', reason: null, reasonCode: null, attachments: [], payload: {} },
  ];
  wf = { ...wf, version: 1 };
  for (const [command, when, actor] of spec.steps ?? []) {
    const d = decide(wf, { reason: '处理', ...command } as CommandInput, actor ?? ADMIN, new Date(when), ctx);
    if (!d.ok) throw new Error(`${spec.id} ${command.type}: ${d.error.code} ${d.error.message}`);
    wf = d.next;
    audit.push(d.audit);
  }
  const record: EventRecord = {
    id: spec.id,
    caseNo: `HD${spec.id.replace(/\D/g, '').padStart(12, '0')}`,
    title: spec.title ?? `路面积水${spec.id}`,
    description: spec.description ?? '雨后积水约二十厘米',
    address: spec.address ?? '花都区新华街建设北路1号',
    location: spec.location === undefined ? [113.02, 23.32] : spec.location,
    sourceLocation: null,
    outsideDistrict: false,
    source: spec.source ?? 'grid_patrol',
    externalRef: null,
    urgency: spec.urgency ?? 'normal',
    reporter: null,
    attachments: [],
    sourceDeadline: null,
    duplicateCandidates: spec.duplicateCandidates ?? [],
    createdAt: at,
    workflow: wf,
  };
  return { record, audit };
}

/** Commands of the usual path, for specs. */
export const cmd = {
  file: (): CommandInput => ({ type: 'file' }) as CommandInput,
  dispatch: (deadline: number, lead = 'dept-cg', assisting: string[] = []): CommandInput =>
    ({ type: 'dispatch', leadUnitId: lead, assistingUnitIds: assisting, clocks: [{ id: 'internal', kind: 'internal', deadline: new Date(deadline).toISOString() }] }) as CommandInput,
  sign: (): CommandInput => ({ type: 'sign' }) as CommandInput,
  start: (): CommandInput => ({ type: 'start' }) as CommandInput,
  handle: (): CommandInput => ({ type: 'handle', feedback: '已处置' }) as CommandInput,
  requestCheck: (): CommandInput => ({ type: 'request_check' }) as CommandInput,
  checkPass: (): CommandInput => ({ type: 'check_pass' }) as CommandInput,
  close: (): CommandInput => ({ type: 'close' }) as CommandInput,
  evaluate: (s: 'satisfied' | 'dissatisfied'): CommandInput => ({ type: 'evaluate', satisfaction: s }) as CommandInput,
  park: (): CommandInput => ({ type: 'park' }) as CommandInput,
  cancel: (): CommandInput => ({ type: 'cancel' }) as CommandInput,
  supervise: (): CommandInput => ({ type: 'supervise', level: 1 }) as CommandInput,
  requestExtension: (): CommandInput => ({ type: 'request_extension', duration: { unit: 'working_days', amount: 2 } }) as CommandInput,
};

/** The full closed loop: dispatched at t, handled at `handledAt`, closed and (optionally) evaluated. */
export function closedLoop(t: number, deadline: number, handledAt: number, evaluation: 'satisfied' | 'dissatisfied' | null): [CommandInput, number][] {
  const steps: [CommandInput, number][] = [
    [cmd.file(), t + 0.1 * H],
    [cmd.dispatch(deadline), t + 0.2 * H],
    [cmd.sign(), t + 0.3 * H],
    [cmd.start(), t + 0.4 * H],
    [cmd.handle(), handledAt],
    [cmd.requestCheck(), handledAt + 0.5 * H],
    [cmd.checkPass(), handledAt + H],
    [cmd.close(), handledAt + 2 * H],
  ];
  if (evaluation) steps.push([cmd.evaluate(evaluation), handledAt + 3 * H]);
  return steps;
}

export interface QueryReplica {
  replica: Replica;
  writer: RowWriter;
  handlers: ReturnType<typeof createQueryHandlers>;
  district: District;
  /** applies a live batch through applyBatch (the live path), one version */
  live(events: { record: EventRecord; audit: AuditEntry[] }[], deletes?: string[]): void;
  setUser(u: SessionUser | null): void;
  close(): void;
}

/** A replica holding the district, the configuration and `events`, snapshot-applied, queried at `now`. */
export function queryReplica(events: { record: EventRecord; audit: AuditEntry[] }[], now: () => number, opts: { wall?: { key: string; row: unknown }[] } = {}): QueryReplica {
  const replica = openReplica({ file: ':memory:' });
  const writer = new RowWriter(replica.sqlite);
  const district = makeDistrict();
  const stage = (table: Parameters<typeof stageRows>[2], rows: { key: string; row: unknown }[]) => stageRows(replica.sqlite, writer, table, rows.map((r) => ({ ...r, v: 1 })));
  stage('areas', district.areas.map((a) => ({ key: a.code, row: a })));
  stage('grids', district.grids.map((g) => ({ key: `${g.code}:${g.validFrom}`, row: g })));
  stage('units', district.units.map((u) => ({ key: u.id, row: u })));
  stage('config', Object.entries(CONFIG_DOCS).map(([key, row]) => ({ key, row })));
  for (let i = 0; i < events.length; i += 2000) {
    const chunk = events.slice(i, i + 2000);
    stage('events', chunk.map((e) => ({ key: e.record.id, row: e.record })));
    stage('audit', chunk.flatMap((e) => e.audit.map((a) => ({ key: `${a.eventId}:${a.seq}`, row: a }))));
  }
  if (opts.wall) stage('wall', opts.wall);
  swapInSnapshot(replica.sqlite, { scope: 'district', checkpoint: { epoch: 'e1', v: 1 }, referenceVersion: 'e1:1', checksum: null, at: new Date(now()).toISOString() });
  let user: SessionUser | null = null;
  const clock = { now, setTimeout: () => () => {} };
  const reference = new ReferenceView(replica, { whenReady: async () => true }, clock, 100);
  const handlers = createQueryHandlers({ replica, clock, reference, user: () => user });
  return {
    replica,
    writer,
    handlers,
    district,
    live(batch, deletes = []) {
      const cursor = readSyncState(replica.sqlite)!.cursor;
      const v = cursor.v + 1;
      const ops = [
        ...batch.flatMap((e) => [
          { table: 'events' as const, op: 'upsert' as const, key: e.record.id, v, row: e.record },
          ...e.audit.map((a) => ({ table: 'audit' as const, op: 'upsert' as const, key: `${a.eventId}:${a.seq}`, v, row: a })),
        ]),
        ...deletes.map((key) => ({ table: 'events' as const, op: 'delete' as const, key, v })),
      ];
      const r = applyBatch(replica.sqlite, writer, { from: cursor, checkpoint: { epoch: cursor.epoch, v }, ops, acks: [] }, () => ({ changed: false, eventId: null }), new Date(now()).toISOString());
      if (!r.applied) throw new Error('batch not applied');
    },
    setUser(u) {
      user = u;
    },
    close: () => replica.close(),
  };
}
