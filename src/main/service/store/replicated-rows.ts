/**
 * How a replicated row becomes a replica row: per table, the columns queries
 * need are extracted from the document the data center sent (the pure
 * extraction lives in src/core/sync/extraction.ts, shared with the data
 * center, which sends the columns with a snapshot's rows), and the
 * statements that write live and staging tables (and keep the FTS index of
 * events in step) are prepared once.
 *
 * Extraction is a pure function of the document, so a replica is the same
 * whatever split of the feed built it (the resume-anywhere property); a row
 * it refuses is malformed and the whole batch or snapshot with it.
 */
import type Database from 'better-sqlite3';
import { perConnection, type ConnectionLike } from './connection';
import { type ReplicatedTable } from '../../../core/index';
import {
  documentApart,
  EXTRACTION_TABLES,
  EXTRACTION_VERSION,
  extractedColumns,
  extractRow as coreExtractRow,
  extractValues as coreExtractValues,
  MalformedRowError,
  summariseClocks,
  timeOf,
  type ExtractedValue as CoreExtractedValue,
  type TimeOf,
} from '../../../core/sync/extraction';

/** an extracted column's value */
export type ExtractedValue = CoreExtractedValue;
type Value = ExtractedValue;
type Doc = Record<string, unknown>;

export { MalformedRowError, summariseClocks, extractedColumns, EXTRACTION_VERSION };

/**
 * A `rows` frame ready to stage: row i is keys[i], vs[i], its document and values[i*width … (i+1)*width).
 * The documents are one UTF-8 buffer (row i's text is docBytes[docEnds[i-1] … docEnds[i]), docEnds[-1] = 0):
 * it moves from the parser worker to the service's thread without a copy, and SQLite takes each
 * document's bytes as they are (`CAST(? AS TEXT)`) instead of better-sqlite3 re-encoding a JS string.
 */
export interface StagedRows {
  table: ReplicatedTable;
  keys: string[];
  vs: number[];
  docBytes: Uint8Array;
  docEnds: number[];
  /** the extracted columns of every row, row after row */
  values: ExtractedValue[];
  /** extracted columns per row */
  width: number;
  /** the highest v of the frame and its row's key (checked against the checkpoint by the client) */
  maxV: number;
  maxVKey: string;
}

/** The text of row i's document in a StagedRows. */
export function stagedDoc(rows: StagedRows, i: number): string {
  return Buffer.from(rows.docBytes.buffer, rows.docBytes.byteOffset + (i === 0 ? 0 : rows.docEnds[i - 1]!), rows.docEnds[i]! - (i === 0 ? 0 : rows.docEnds[i - 1]!)).toString('utf8');
}

/**
 * A time field read from a document parsed from its bytes read as latin1 (sync/snapshot-frames.ts): a string
 * with characters above U+007F holds UTF-8 bytes, read as UTF-8 before Date.parse (which takes, say, a trailing
 * NBSP but not its two latin1 characters), so that both readings give the same columns and refusals.
 */
const timeOfLatin1: TimeOf = (v) => (typeof v !== 'string' ? NaN : Date.parse(/[\u0080-\u00ff]/.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v));

export const REPLICATED_TABLES = EXTRACTION_TABLES;

/**
 * The values of a row for its table's INSERT, after key, v and doc (core/sync/extraction.ts). `latin1`: the row
 * was parsed from its bytes read as latin1 (sync/snapshot-frames.ts); its times are read as UTF-8 text.
 */
export function extractRow(table: ReplicatedTable, key: string, row: unknown, latin1 = false): { doc: string; values: Value[] } {
  return coreExtractRow(table, key, row, latin1 ? timeOfLatin1 : timeOf);
}

/** `extractRow` without the document's text (a snapshot row whose text is taken as the data center sent it). */
export function extractValues(table: ReplicatedTable, key: string, row: unknown, latin1 = false): Value[] {
  return coreExtractValues(table, key, row, latin1 ? timeOfLatin1 : timeOf);
}

/** The prepared writes of one connection. */
interface Writes {
  live: Map<ReplicatedTable, Database.Statement>;
  stage: Map<ReplicatedTable, Database.Statement>;
  remove: Map<ReplicatedTable, Database.Statement>;
  eventDocUpsert: Database.Statement;
  eventDocStage: Database.Statement;
  eventDocDelete: Database.Statement;
  ftsInsert: Database.Statement;
  ftsDelete: Database.Statement;
  eventRid: Database.Statement;
}

function prepareWrites(sqlite: Database.Database): Writes {
  const live = new Map<ReplicatedTable, Database.Statement>();
  const stage = new Map<ReplicatedTable, Database.Statement>();
  const remove = new Map<ReplicatedTable, Database.Statement>();
  for (const table of REPLICATED_TABLES) {
    const apart = documentApart(table);
    const cols = ['key', 'v', ...(apart ? [] : ['doc']), ...extractedColumns(table)];
    const marks = cols.map(() => '?').join(', ');
    const updates = cols
      .slice(1)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    // a table whose document is apart returns the row's rid, new or kept, to key the document by
    live.set(table, sqlite.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${marks}) ON CONFLICT (key) DO UPDATE SET ${updates}${apart ? ' RETURNING rid' : ''}`));
    // the document as text whether it is bound as a string or as its UTF-8 bytes (stageFrame)
    const stageMarks = cols.map((c) => (c === 'doc' ? 'CAST(? AS TEXT)' : '?')).join(', ');
    stage.set(table, sqlite.prepare(`INSERT INTO stage_${table} (${cols.join(', ')}) VALUES (${stageMarks})`));
    remove.set(table, sqlite.prepare(`DELETE FROM ${table} WHERE key = ?`));
  }
  return {
    live,
    stage,
    remove,
    eventDocUpsert: sqlite.prepare('INSERT INTO events_doc (rid, doc) VALUES (?, ?) ON CONFLICT (rid) DO UPDATE SET doc = excluded.doc'),
    eventDocStage: sqlite.prepare('INSERT INTO stage_events_doc (rid, doc) VALUES (?, CAST(? AS TEXT))'),
    eventDocDelete: sqlite.prepare('DELETE FROM events_doc WHERE rid = ?'),
    ftsInsert: sqlite.prepare('INSERT INTO events_fts (rowid, title, description, address) VALUES (?, ?, ?, ?)'),
    ftsDelete: sqlite.prepare('DELETE FROM events_fts WHERE rowid = ?'),
    eventRid: sqlite.prepare('SELECT rid FROM events WHERE key = ?').pluck(),
  };
}

/** Prepared writes of the replica's connection (prepared again on the new one after a reopen: store/open.ts perConnection). */
export class RowWriter {
  private readonly writes: () => Writes;

  constructor(connection: ConnectionLike) {
    this.writes = perConnection(connection, prepareWrites);
  }

  /** Upserts a live row (inside the caller's transaction); an event's document and FTS row with it. */
  upsert(table: ReplicatedTable, key: string, v: number, row: unknown): void {
    const w = this.writes();
    const { doc, values } = extractRow(table, key, row);
    if (table !== 'events') {
      w.live.get(table)!.run(key, v, doc, ...values);
      return;
    }
    const rid = (w.live.get(table)!.get(key, v, ...values) as { rid: number }).rid;
    w.eventDocUpsert.run(rid, doc);
    w.ftsDelete.run(rid);
    const d = row as Doc;
    w.ftsInsert.run(rid, d.title, typeof d.description === 'string' ? d.description : null, typeof d.address === 'string' ? d.address : null);
  }

  /** Deletes a live row (an event's document and FTS row with it); a key the replica does not hold is no error (deletes are idempotent). */
  delete(table: ReplicatedTable, key: string): void {
    const w = this.writes();
    if (table === 'events') {
      const rid = w.eventRid.get(key) as number | undefined;
      if (rid !== undefined) {
        w.ftsDelete.run(rid);
        w.eventDocDelete.run(rid);
      }
    }
    w.remove.get(table)!.run(key);
  }

  /** Inserts a snapshot row into the table's staging twin (an event's document into stage_events_doc, under the rid it got). */
  stageRow(table: ReplicatedTable, key: string, v: number, row: unknown): void {
    const { doc, values } = extractRow(table, key, row);
    this.stageExtracted(table, key, v, doc, values);
  }

  /** Stages every row of an extracted `rows` frame (inside the caller's transaction). */
  stageFrame(rows: StagedRows): void {
    const { table, keys, vs, docEnds, values, width } = rows;
    const bytes = Buffer.from(rows.docBytes.buffer, rows.docBytes.byteOffset, rows.docBytes.byteLength);
    let start = 0;
    for (let i = 0; i < keys.length; i++) {
      const end = docEnds[i]!;
      this.stageExtracted(table, keys[i]!, vs[i]!, bytes.subarray(start, end), values.slice(i * width, (i + 1) * width));
      start = end;
    }
  }

  /** `stageRow` of a row already extracted (`extractRow`: its document text and column values). */
  stageExtracted(table: ReplicatedTable, key: string, v: number, doc: string | Uint8Array, values: readonly Value[]): void {
    const w = this.writes();
    if (table !== 'events') {
      w.stage.get(table)!.run(key, v, doc, ...values);
      return;
    }
    const rid = w.stage.get(table)!.run(key, v, ...values).lastInsertRowid;
    w.eventDocStage.run(rid, doc);
  }
}
