/**
 * A snapshot read with the data center's extracted columns that is refused makes the client snapshot without
 * them (sync/sync-client.ts `stopAskingForColumns`; docs/sync-client.md "When a snapshot with columns is
 * refused"). With columns the client does not parse the documents and cuts each rows line at `},{"key":`, which
 * PostgreSQL's jsonb::text never writes; a writer that stored compact JSON holding that text inside a document
 * makes the cut yield extra rows, the end checksum refuses the snapshot, and a client that asked with columns
 * again would be refused again, for ever.
 *
 * The data center here is the fake feed (live tail, commands) behind a front that answers the snapshot itself in
 * the real data center's layout (src/datacenter/sync/snapshot-encoding.ts `rowsPageText`, the columns of
 * `storedColumns`), its documents compact JSON as such a writer would store them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotFrame, type EventRecord, type ReplicatedTable } from '../../../src/core/index';
import { EXTRACTION_VERSION } from '../../../src/core/sync/extraction';
import { rowsPageText } from '../../../src/datacenter/sync/snapshot-encoding';
import { storedColumns } from '../../../src/datacenter/sync/write';
import { startFakeFeed, type FakeFeedServer } from './fake-feed-server';
import { startFront } from './front-proxy';
import { eventChange, makeEvent, referenceChanges, replicaRows, serviceOn, sorted, tempDir } from './feed-fixtures';

const TABLES: ReplicatedTable[] = ['areas', 'grids', 'units', 'workers', 'config', 'events', 'audit', 'wall'];

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * The feed's snapshot in the data center's layout: rows in key order, pages of `pageRows`, each row's document
 * `JSON.stringify` of it (compact JSON), and with `?columns=` of our version each row's columns as the data
 * center's writer computes them — or, `unasked`, always, as a data center that ignores the parameter would.
 */
function snapshotOf(f: FakeFeedServer, url: URL, pageRows: number, unasked: boolean): string {
  const scope = url.searchParams.get('scope') ?? 'district';
  const columns = unasked || Number(url.searchParams.get('columns')) === EXTRACTION_VERSION ? EXTRACTION_VERSION : undefined;
  const checkpoint = { epoch: f.epoch, v: f.head };
  const byTable = new Map<string, { key: string; v: number; row: string; cols: string | null }[]>();
  for (const [id, r] of f.rowsOf(scope)) {
    const [table, key] = id.split('\u0000') as [ReplicatedTable, string];
    const row = JSON.stringify(r.row);
    const list = byTable.get(table) ?? [];
    list.push({ key, v: r.v, row, cols: columns === undefined ? null : storedColumns(table, key, row) });
    byTable.set(table, list);
  }
  const frame = (x: SnapshotFrame) => `${JSON.stringify(SnapshotFrame.parse(x))}\n`;
  const checksum = f.checksumOf(scope);
  let text = frame({ t: 'begin', scope: scope as never, checkpoint, totalRows: Object.values(checksum.tables).reduce((n, t) => n + t.count, 0), tables: TABLES, columns });
  for (const table of TABLES) {
    const rows = (byTable.get(table) ?? []).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (let i = 0; i < rows.length; i += pageRows) text += rowsPageText(table, rows.slice(i, i + pageRows));
  }
  return text + frame({ t: 'end', checkpoint, checksum: { ...checksum, checkpoint } });
}

/** A front for the fake feed: answers the snapshot itself (and records what was asked), passes the rest on. */
async function frontOf(f: FakeFeedServer, pageRows = 4, columnsUnasked = false): Promise<{ url: string; snapshots: URL[] }> {
  const snapshots: URL[] = [];
  const url = await startFront(
    f.port,
    (req, res) => {
      const asked = new URL(req.url ?? '/', 'http://x');
      if (asked.pathname !== '/api/v1/sync/snapshot') return false;
      snapshots.push(asked);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(snapshotOf(f, asked, pageRows, columnsUnasked));
      return true;
    },
    cleanups,
  );
  return { url, snapshots };
}

/**
 * An event whose document quotes a rows frame's row as structure (say a member a future writer fills from a
 * log): compact JSON of it holds `},{"key":"ghost","v":1,"c":[…],"row":{}`, which the split with columns takes
 * for a row boundary, the two pieces still looking like documents (`{…}`) and the quoted row's `c` of the
 * table's width — the line yields a row too many.
 */
function quotingEvent(id: string): EventRecord {
  const ghost = makeEvent('ghost');
  const ghostColumns: unknown = JSON.parse(storedColumns('events', 'ghost', JSON.stringify(ghost))!);
  return { ...makeEvent(id), pasted: [{ seen: {} }, { key: 'ghost', v: 1, c: ghostColumns, row: {} }] } as EventRecord;
}

/** A fake feed with the reference data and three events, the second one quoting a row (quotingEvent). */
async function feedWithQuotingEvent(): Promise<{ f: FakeFeedServer; quoting: EventRecord }> {
  const f = await startFakeFeed();
  cleanups.push(() => f.close());
  f.commit(referenceChanges());
  const quoting = quotingEvent('e2');
  f.commit([eventChange(makeEvent('e1')), eventChange(quoting), eventChange(makeEvent('e3'))]);
  return { f, quoting };
}

describe('a snapshot with columns refused', () => {
  it('is read again without columns, every document parsed: the replica is complete, the quoting document intact', async () => {
    const { f, quoting } = await feedWithQuotingEvent();
    const quotedText = JSON.stringify(quoting);
    expect(quotedText).toContain('},{"key":"ghost","v":1,"c":[');
    expect(storedColumns('events', 'e2', quotedText)).not.toBeNull();

    const front = await frontOf(f);
    const h = await serviceOn(front, tempDir(cleanups), cleanups);
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 10_000 }).toBe('live');

    // asked with columns, refused for the end checksum; then asked without
    expect(front.snapshots.map((u) => u.searchParams.get('columns'))).toEqual([String(EXTRACTION_VERSION), null]);
    const refused = h.log.entries.find((e) => e.level === 'error' && e.msg.startsWith('refused malformed data'));
    expect((refused?.obj as { reason?: string } | undefined)?.reason).toMatch(/do not match the end checksum \(events\)/);
    const warned = h.log.entries.filter((e) => e.level === 'warn' && e.msg.includes("data center's extracted columns was refused"));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.obj).toMatchObject({ reason: (refused!.obj as { reason: string }).reason });

    // every row, no ghost; the quoting event's document as the data center stored it, its columns from it
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    const db = h.svc.replica.sqlite;
    expect(db.prepare("SELECT d.doc FROM events e JOIN events_doc d ON d.rid = e.rid WHERE e.key = 'e2'").pluck().get()).toBe(quotedText);
    expect(db.prepare('SELECT key FROM events ORDER BY key').pluck().all()).toEqual(['e1', 'e2', 'e3']);

    // live batches still apply; a later re-snapshot in this process does not ask for the columns again
    f.commit([eventChange(makeEvent('e4'))]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v).toBe(3);
    f.newEpoch('epoch-2');
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 10_000 }).toBe('epoch-2');
    expect(front.snapshots.map((u) => u.searchParams.get('columns'))).toEqual([String(EXTRACTION_VERSION), null, null]);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('reads the snapshot without columns even when the data center sends them unasked', async () => {
    const { f, quoting } = await feedWithQuotingEvent();

    // this front sends the columns whatever was asked: a client that took them would be refused for ever
    const front = await frontOf(f, 4, true);
    const h = await serviceOn(front, tempDir(cleanups), cleanups);
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 10_000 }).toBe('live');
    expect(front.snapshots.map((u) => u.searchParams.get('columns'))).toEqual([String(EXTRACTION_VERSION), null]);
    expect(h.log.entries.filter((e) => e.level === 'error' && e.msg.startsWith('refused malformed data'))).toHaveLength(1);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    const db = h.svc.replica.sqlite;
    expect(db.prepare("SELECT d.doc FROM events e JOIN events_doc d ON d.rid = e.rid WHERE e.key = 'e2'").pluck().get()).toBe(JSON.stringify(quoting));
  });

  it('keeps asking with columns while its snapshots with them are accepted', async () => {
    const f = await startFakeFeed();
    cleanups.push(() => f.close());
    f.commit(referenceChanges());
    f.commit([eventChange(makeEvent('e1')), eventChange(makeEvent('e2'))]);
    const front = await frontOf(f);
    const h = await serviceOn(front, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    f.newEpoch('epoch-2');
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 10_000 }).toBe('epoch-2');
    expect(front.snapshots.map((u) => u.searchParams.get('columns'))).toEqual([String(EXTRACTION_VERSION), String(EXTRACTION_VERSION)]);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(h.log.entries.filter((e) => e.level === 'warn' && e.msg.includes('extracted columns'))).toEqual([]);
  });
});
