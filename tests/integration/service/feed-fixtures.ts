/**
 * Documents for the fake feed: the small district of ./fixtures.ts as
 * replicated rows (areas by code, grids by `${code}:${validFrom}`, units by
 * id — the keys the data center uses), valid EventRecords and audit entries,
 * and a data service wired to a fake feed in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMAND_FROM, newEvent, type AuditEntry, type EventRecord, type EventStatus, type SyncStatus } from '../../../src/core/index';
import { createDataService, type DataService, type DataServiceOptions } from '../../../src/main/service/index';
import { extractedColumns, extractRow } from '../../../src/main/service/store/replicated-rows';
import type { Change, FakeFeedServer, MutationHandler } from './fake-feed-server';
import { makeDistrict, recordingLogger, type District } from './fixtures';

export const TOWN_A = '440114001000';
export const TOWN_B = '440114002000';

export function referenceChanges(d: District = makeDistrict()): Change[] {
  return [
    ...d.areas.map((a) => ({ table: 'areas' as const, key: a.code, row: a, scope: a.level === 'village' ? a.parentCode : null })),
    ...d.grids.map((g) => ({ table: 'grids' as const, key: `${g.code}:${g.validFrom}`, row: g, scope: g.townCode })),
    ...d.units.map((u) => ({ table: 'units' as const, key: u.id, row: u, scope: null })),
  ];
}

export interface EventOpts {
  town?: string;
  status?: EventStatus;
  title?: string;
  description?: string;
  reportedAt?: string;
  deadline?: string | null;
  version?: number;
}

export function makeEvent(id: string, o: EventOpts = {}): EventRecord {
  const town = o.town ?? TOWN_A;
  const village = town === TOWN_A ? '440114001001' : '440114002001';
  const reportedAt = new Date(o.reportedAt ?? '2026-11-20T08:00:00.000Z');
  const wf = newEvent({ id, area: { districtCode: '440114', townCode: town, villageCode: village, gridCode: `${village}001` }, reportedAt, categoryCode: 'city.road' });
  wf.status = o.status ?? 'reported';
  wf.version = o.version ?? 0;
  if (o.deadline) {
    wf.clocks = [
      {
        id: 'urban',
        kind: 'urban',
        measure: 'calendar',
        warnAt: 0.8,
        startedAt: reportedAt.toISOString(),
        budgetMs: Date.parse(o.deadline) - reportedAt.getTime(),
        baseDeadline: o.deadline,
        policy: null,
        pauses: [],
        extensions: [],
        stoppedAt: null,
      },
    ];
  }
  return {
    id,
    caseNo: `HD${id.replace(/\D/g, '').padStart(8, '0')}`,
    title: o.title ?? `事件${id}`,
    description: o.description ?? '路面坑洼，影响通行',
    address: '花都区新华街建设北路1号',
    location: [113.02, 23.32],
    sourceLocation: null,
    outsideDistrict: false,
    source: 'hotline_12345',
    externalRef: null,
    urgency: 'normal',
    reporter: null,
    attachments: [],
    sourceDeadline: null,
    duplicateCandidates: [],
    createdAt: reportedAt.toISOString(),
    workflow: wf,
  };
}

export function eventChange(e: EventRecord): Change {
  return { table: 'events', key: e.id, row: e, scope: e.workflow.area.townCode };
}

export function auditOf(e: EventRecord, seq: number, command: string, to: EventStatus): Change {
  const entry: AuditEntry = {
    eventId: e.id,
    seq,
    at: '2026-11-20T09:00:00.000Z',
    actorId: 'u-1',
    actorName: '值班员',
    role: 'duty_officer',
    organisationId: 'district',
    command,
    from: e.workflow.status,
    to,
    reason: null,
    reasonCode: null,
    attachments: [],
    payload: {},
  };
  return { table: 'audit', key: `${e.id}:${seq}`, row: entry, scope: e.workflow.area.townCode };
}

export interface Harness {
  svc: DataService;
  dir: string;
  log: ReturnType<typeof recordingLogger>;
  statuses: SyncStatus[];
  events: { name: string; payload: unknown }[];
}

export function tempDir(cleanups: (() => unknown)[], prefix = 'huying-sync-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function serviceOn(
  feed: FakeFeedServer | { url: string },
  dir: string,
  cleanups: (() => unknown)[],
  opts: Partial<DataServiceOptions> = {},
): Promise<Harness> {
  const log = recordingLogger();
  const statuses: SyncStatus[] = [];
  const events: { name: string; payload: unknown }[] = [];
  const svc = await createDataService({
    shell: 'web',
    dataDir: dir,
    dataCenterUrl: feed.url,
    logger: log.logger,
    ...opts,
    sync: { retryInitialMs: 20, retryMaxMs: 200, readyTimeoutMs: 2000, heartbeatTimeoutMs: 2000, requestTimeoutMs: 5000, resendAfterMs: 500, ...opts.sync },
  });
  cleanups.push(() => svc.close());
  svc.subscribe('sync/status', (s) => statuses.push(s));
  for (const name of ['events/changed', 'outbox/changed'] as const) svc.subscribe(name, (p) => events.push({ name, payload: p }));
  return { svc, dir, log, statuses, events };
}

/** key, v and document of a replicated table's rows (an event's document is apart, in events_doc: migration 0008) */
const rowsSql = (t: string) => (t === 'events' ? 'SELECT e.*, d.doc FROM events e LEFT JOIN events_doc d ON d.rid = e.rid' : `SELECT key, v, doc FROM ${t}`);

/**
 * The replica's rows of every replicated table, as `${table}\0${key}` → { v, row }: comparable with FakeFeedServer.rowsOf.
 * An event's document is read from `events_doc` (migration 0008), and what would break the pairing of the two tables shows
 * up as a difference: an event without its document has the row `null`; a document whose event is gone is an entry
 * `events_doc\0<rid>`; an extracted column (store/replicated-rows.ts) that disagrees with the document is an entry
 * `events_column\0<key>.<column>` — entries no server holds.
 */
export function replicaRows(svc: DataService): Map<string, { v: number; row: unknown }> {
  const db = svc.replica.sqlite;
  const out = new Map<string, { v: number; row: unknown }>();
  const extracted = extractedColumns('events');
  for (const t of ['areas', 'grids', 'units', 'workers', 'config', 'events', 'audit', 'wall']) {
    for (const r of db.prepare(rowsSql(t)).all() as ({ key: string; v: number; doc: string | null } & Record<string, unknown>)[]) {
      const row = r.doc === null ? null : (JSON.parse(r.doc) as unknown);
      out.set(`${t}\u0000${r.key}`, { v: r.v, row });
      if (t !== 'events' || row === null) continue;
      const { values } = extractRow('events', r.key, row);
      extracted.forEach((c, i) => {
        if (r[c] !== values[i]) out.set(`events_column\u0000${r.key}.${c}`, { v: r.v, row: { stored: r[c], fromDocument: values[i] } });
      });
    }
  }
  for (const rid of db.prepare('SELECT d.rid FROM events_doc d LEFT JOIN events e ON e.rid = d.rid WHERE e.rid IS NULL').pluck().all() as number[]) {
    out.set(`events_doc\u0000${rid}`, { v: -1, row: 'a document without its event' });
  }
  return out;
}

export function sorted(m: Map<string, unknown>): [string, unknown][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const NEXT: Record<string, EventRecord['workflow']['status']> = { verify: 'verifying', file: 'filed', dispatch: 'dispatched', sign: 'signed', close: 'closed' };

/** A tiny workflow authority: the state guard of core/workflow and a status change, with its audit entry. */
export const workflowHandler: MutationHandler = (mutation, server) => {
  if (mutation.name !== 'event/command') return { changes: [] };
  const current = server.rows.get(`events\u0000${mutation.eventId}`);
  if (!current) return { error: { code: 'not_found', message: `no event ${mutation.eventId}` } };
  const e = current.row as EventRecord;
  const type = mutation.command.type;
  if (!COMMAND_FROM[type].includes(e.workflow.status)) return { error: { code: 'illegal_transition', message: `cannot ${type} an event that is ${e.workflow.status}` } };
  const seq = e.workflow.version + 1;
  const next: EventRecord = { ...e, workflow: { ...e.workflow, status: NEXT[type] ?? e.workflow.status, version: seq } };
  return { changes: [eventChange(next), auditOf(e, seq, type, next.workflow.status)] };
};

