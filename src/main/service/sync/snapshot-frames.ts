/**
 * The CPU-bound half of reading a snapshot, the same code in the data
 * service's thread and in the parser worker (./snapshot-worker.ts): NDJSON
 * bytes in, frames out, each `rows` frame already turned into what the
 * staging inserts bind — per row its key, v, document text and extracted
 * columns (store/replicated-rows.ts `extractRow`). A line that is not JSON,
 * not a frame, or a row the replica cannot index throws a MalformedError with
 * the same message wherever it runs.
 *
 * A `rows` line in the data center's own layout is not parsed whole: it is
 * taken apart at its separators and each document parsed on its own, its text
 * kept byte for byte as the data center sent it (no JSON.stringify) — or, when
 * the row carries its extracted columns of our version, not parsed at all —
 * see `splitRowsLine`; any other line is parsed whole.
 *
 * A `rows` frame can be megabytes arriving in 64 KB chunks: the chunks of an
 * unfinished line are kept as a list and joined once the newline comes, so
 * each byte is scanned and copied a bounded number of times.
 */
import { isUtf8 } from 'node:buffer';
import { SnapshotFrame, formatZodError, type ReplicatedTable } from '../../../core/index';
import { EXTRACTION_VERSION, extractRow, extractValues, extractedColumns, MalformedRowError, REPLICATED_TABLES, type ExtractedValue, type StagedRows } from '../store/replicated-rows';
import { MalformedError } from './http';

export type { StagedRows };

const NL = 0x0a;

export type ParsedFrame = Exclude<SnapshotFrame, { t: 'rows' }> | { t: 'rows'; table: ReplicatedTable; rows: StagedRows };

/**
 * A string parsed from a line read as latin1 (`SnapshotLineParser`): its characters are the UTF-8
 * bytes of the real text; read them as UTF-8 again (nothing to do for ASCII).
 */
const NON_ASCII = /[\u0080-\u00ff]/;
export function fromLatin1(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/**
 * Extracts every row of a checked `rows` frame; a row the replica cannot index is malformed.
 * `latin1`: the frame was parsed from its bytes read as latin1 (see `SnapshotLineParser`): its
 * strings hold UTF-8 bytes, and so does each document's JSON.stringify text, which is written out
 * byte for byte; keys, string columns and messages are read as UTF-8 again.
 */
export function stagedRowsOf(frame: Extract<SnapshotFrame, { t: 'rows' }>, latin1 = false): StagedRows {
  const enc: BufferEncoding = latin1 ? 'latin1' : 'utf8';
  const width = extractedColumns(frame.table).length;
  const n = frame.rows.length;
  const keys = new Array<string>(n);
  const vs = new Array<number>(n);
  const docs = new Array<string>(n);
  const docEnds = new Array<number>(n);
  const values: StagedRows['values'] = [];
  let maxV = 0;
  let maxVKey = '';
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = frame.rows[i]!;
    let x: ReturnType<typeof extractRow>;
    try {
      x = extractRow(frame.table, r.key, r.row, latin1);
    } catch (err) {
      if (err instanceof MalformedRowError) throw new MalformedError(`snapshot: ${latin1 ? fromLatin1(err.message) : err.message}`);
      throw err;
    }
    keys[i] = latin1 ? fromLatin1(r.key) : r.key;
    vs[i] = r.v;
    docs[i] = x.doc;
    total += Buffer.byteLength(x.doc, enc);
    docEnds[i] = total;
    if (latin1) for (const value of x.values) values.push(typeof value === 'string' ? fromLatin1(value) : value);
    else for (const value of x.values) values.push(value);
    if (r.v > maxV) {
      maxV = r.v;
      maxVKey = keys[i]!;
    }
  }
  // one buffer of its own (not from Buffer's shared pool), so that it can be moved to another thread
  const docBytes = Buffer.allocUnsafeSlow(total);
  for (let i = 0, at = 0; i < n; i++) at += docBytes.write(docs[i]!, at, enc);
  return { table: frame.table, keys, vs, docBytes: new Uint8Array(docBytes.buffer, docBytes.byteOffset, total), docEnds, values, width, maxV, maxVKey };
}

const TABLES = new Set<string>(REPLICATED_TABLES);
const ROWS_HEAD = '{"t":"rows","table":"';
const ROWS_OPEN = '","rows":[';
const ROW_KEY = '{"key":';
const ROW_V = ',"v":';
const ROW_DOC = ',"row":';
const ROW_COLS = ',"c":';
const ROW_NEXT = '},{"key":';
const ROWS_CLOSE = '}]}';
/** a positive integer as JSON writes it, at most 15 digits (a safe integer) */
const POSITIVE_INT = /^[1-9][0-9]{0,14}$/;

/**
 * A `rows` line in the layout the data center writes — `{"t":"rows","table":T,"rows":[` then
 * `{"key":K,"v":V,"row":D}` joined by commas, then `]}`, no whitespace around the punctuation — taken
 * apart by searching for those separators, each piece parsed on its own, and each document's text
 * taken as the data center sent it (bytes `[start, end)` of the line) instead of JSON.stringify of
 * the parsed document (~13 µs of a snapshot row's CPU). Each document is parsed, extracted and
 * dropped before the next one is parsed, so the parsed documents die young (a whole line parsed at
 * once kept a frame's 1,000 documents alive past the young generation).
 *
 * Why this gives exactly what parsing the whole line gives: a separator found by the search can
 * sit inside a document only as structure (inside a JSON string every `"` is escaped), and a
 * piece cut there is a proper prefix of an object or array, which is never valid JSON; a piece
 * that runs past its real end carries the next row's separator, which is not valid JSON either.
 * So when every piece parses, the line is exactly the pieces joined by the separators, and JSON's
 * grammar gives such a text one parse: this one. Anything else — a piece that does not parse,
 * whitespace, other fields, another order, a key that is not a string, a version that is not a
 * positive integer as JSON writes it — and any row the replica cannot index return null: the line
 * is then parsed whole, with the refusals and messages of that path (a frame that does not fit is
 * refused before any of its rows is extracted).
 *
 * A row may carry its extracted columns, `{"key":K,"v":V,"c":[…],"row":D}`, computed by the data center
 * when it wrote the row (docs/sync-protocol.md "Extracted columns"). With `withColumns` (the begin frame
 * named our EXTRACTION_VERSION) a `c` of the table's width whose values are strings, finite numbers or
 * null is taken as the row's columns and the document is NOT parsed: its bytes are stored as sent (they
 * must look like an object, `{`…`}`). What the parse proved above then rests on the data center: its
 * documents are jsonb::text, which writes `": "` and `, ` between members, so the separators
 * (`},{"key":`) never occur in one; a line that broke this would be cut into extra rows, which the end
 * frame's checksum (count and sum of v per table) refuses. Without `withColumns` a `c` is parsed (so the
 * cut is still proved) and ignored, the document parsed and extracted as without it; a `c` of another
 * shape sends the line to the whole-line parse, which ignores every `c`.
 *
 * `line` is the line read as latin1 (one character per byte, so string and byte offsets agree; its
 * strings hold UTF-8 bytes, see SnapshotLineParser), `bytes` its bytes.
 */
function splitRowsLine(line: string, bytes: Uint8Array, withColumns: boolean): StagedRows | null {
  if (!line.startsWith(ROWS_HEAD)) return null;
  const tableEnd = line.indexOf(ROWS_OPEN, ROWS_HEAD.length);
  if (tableEnd < 0) return null;
  const name = line.slice(ROWS_HEAD.length, tableEnd);
  if (!TABLES.has(name)) return null;
  const table = name as ReplicatedTable;
  const width = extractedColumns(table).length;
  const keys: string[] = [];
  const vs: number[] = [];
  const values: ExtractedValue[] = [];
  const docEnds: number[] = [];
  const ranges: number[] = [];
  let maxV = 0;
  let maxVKey = '';
  let total = 0;
  let at = tableEnd + ROWS_OPEN.length;
  const close = line.length - ROWS_CLOSE.length;
  const empty = line.length === at + 2 && line.endsWith(']}');
  if (!empty && !line.endsWith(ROWS_CLOSE)) return null;
  try {
    while (!empty) {
      if (!line.startsWith(ROW_KEY, at)) return null;
      const keyEnd = line.indexOf(ROW_V, at + ROW_KEY.length);
      if (keyEnd < 0) return null;
      const rawKey: unknown = JSON.parse(line.slice(at + ROW_KEY.length, keyEnd));
      if (typeof rawKey !== 'string') return null;
      // v's digits end at the first comma: `,"row":` or, with the row's extracted columns, `,"c":`
      const vStart = keyEnd + ROW_V.length;
      const vEnd = line.indexOf(',', vStart);
      if (vEnd < 0) return null;
      const vText = line.slice(vStart, vEnd);
      if (!POSITIVE_INT.test(vText)) return null;
      let cols: ExtractedValue[] | null = null;
      let docHead = vEnd;
      if (line.startsWith(ROW_COLS, vEnd)) {
        docHead = line.indexOf(ROW_DOC, vEnd + ROW_COLS.length);
        if (docHead < 0) return null;
        // parsed even when not taken (columns of another version): every piece parses, see above
        const c: unknown = JSON.parse(line.slice(vEnd + ROW_COLS.length, docHead));
        if (withColumns) {
          cols = columnsOf(c, width);
          if (cols === null) return null;
        }
      }
      if (!line.startsWith(ROW_DOC, docHead)) return null;
      const start = docHead + ROW_DOC.length;
      const next = line.indexOf(ROW_NEXT, start);
      const end = next < 0 || next > close ? close : next;
      if (end < start) return null;
      let x: ExtractedValue[];
      if (cols !== null) {
        // the data center's columns of this document, computed by our extraction version when it wrote the row:
        // the document is stored as sent, not parsed (see "Extracted columns" in docs/sync-protocol.md)
        if (line.charCodeAt(start) !== 0x7b || line.charCodeAt(end - 1) !== 0x7d) return null;
        x = cols;
      } else {
        const text = line.slice(start, end);
        const doc: unknown = JSON.parse(text);
        // a repeated member: JSON.parse keeps its last value, SQLite's json_extract (FTS fill, outbox, KPIs) its
        // first, so such a text is not stored as sent; the whole-line path stores JSON.stringify's
        if (!noRepeatedMember(text, doc)) return null;
        // a row the replica cannot index: refused by the whole-line path, after the frame's shape is checked
        x = extractValues(table, rawKey, doc, true);
      }
      const key = fromLatin1(rawKey);
      const v = Number(vText);
      keys.push(key);
      vs.push(v);
      for (const value of x) values.push(typeof value === 'string' ? fromLatin1(value) : value);
      ranges.push(start, end);
      total += end - start;
      docEnds.push(total);
      if (v > maxV) {
        maxV = v;
        maxVKey = key;
      }
      if (end === close) break;
      at = end + 2;
    }
  } catch {
    return null;
  }
  // one buffer of its own (not from Buffer's shared pool), so that it can be moved to another thread
  const docBytes = new Uint8Array(total);
  for (let i = 0, out = 0; i < ranges.length; i += 2) {
    docBytes.set(bytes.subarray(ranges[i]!, ranges[i + 1]!), out);
    out += ranges[i + 1]! - ranges[i]!;
  }
  return { table, keys, vs, docBytes, docEnds, values, width, maxV, maxVKey };
}

/** A row's `c` as extracted columns when it has their shape (an array of the table's width of strings, finite numbers and nulls), else null. */
function columnsOf(c: unknown, width: number): ExtractedValue[] | null {
  if (!Array.isArray(c) || c.length !== width) return null;
  for (let i = 0; i < width; i++) {
    const value: unknown = c[i];
    if (value !== null && typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) return null;
  }
  return c as ExtractedValue[];
}

/** The members of a parsed value's objects, nested ones included. */
function membersIn(value: object): number {
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (x !== null && typeof x === 'object') n += membersIn(x);
    }
    return n;
  }
  for (const k in value) {
    n++;
    const x: unknown = (value as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object') n += membersIn(x);
  }
  return n;
}

/**
 * Whether a JSON text, whose parse is `doc`, has no object that repeats a member (JSON.parse keeps a repeated
 * member's last value, SQLite's json_extract its first). With no whitespace before a colon, each member's name
 * ends in an unescaped quote (not after an odd run of backslashes) right before a colon; so do some strings that
 * start with a colon. The text then has at least as many `":` as members, and it has more members than its parse
 * exactly when a member is repeated: as many `":` as the parse has members means none is. A text with whitespace
 * before a colon (PostgreSQL writes none) is not taken.
 */
function noRepeatedMember(text: string, doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object') return true;
  if (text.includes(' :') || text.includes('\t:') || text.includes('\r:')) return false;
  let names = 0;
  for (let at = text.indexOf('":'); at >= 0; at = text.indexOf('":', at + 2)) {
    let b = at - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    if ((at - 1 - b) % 2 === 0) names++;
  }
  return names === membersIn(doc);
}

const ROWS_PREFIX = Buffer.from('{"t":"rows",');
const UNICODE_ESCAPE = Buffer.from('\\u');

/**
 * Whether a line can be parsed from its bytes read as latin1 instead of decoded from UTF-8: a
 * `rows` line (other frames are short) that is valid UTF-8 and whose `\u` escapes are all below
 * U+0080. Read as latin1, every byte is one character, so the line becomes a one-byte string
 * (fast to make, parse and stringify) whose strings hold the UTF-8 bytes of the real text; an
 * escape of a non-ASCII character would become that character's code, not its UTF-8 bytes, and an
 * invalid sequence would pass through instead of becoming U+FFFD as TextDecoder makes it — those
 * lines are decoded as UTF-8.
 */
function readAsLatin1(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.byteLength < ROWS_PREFIX.byteLength || b.compare(ROWS_PREFIX, 0, ROWS_PREFIX.byteLength, 0, ROWS_PREFIX.byteLength) !== 0) return false;
  for (let at = b.indexOf(UNICODE_ESCAPE); at >= 0; at = b.indexOf(UNICODE_ESCAPE, at + 2)) {
    // \u00XX with XX < 0x80 is ASCII; anything else (or an escaped backslash before a u) is not taken
    if (!(b[at + 2] === 0x30 && b[at + 3] === 0x30 && b[at + 4]! >= 0x30 && b[at + 4]! <= 0x37)) return false;
  }
  return isUtf8(b);
}

/**
 * Splits NDJSON bytes into lines and parses each into a ParsedFrame. `push`
 * returns the frames its bytes completed, each with the stream offset just
 * past its line (for progress and for the worker's bytes-in-flight bound).
 */
export class SnapshotLineParser {
  private readonly decoder = new TextDecoder();
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private joined = new Uint8Array(0);
  private lineNo = 0;
  private offset = 0;
  private linesEnd = 0;
  /** the begin frame announced extracted columns of our extraction version, and they were asked for: rows' `c` are taken */
  private withColumns = false;

  /**
   * `askedForColumns`: the request asked for the data center's extracted columns (`?columns=`). A data center
   * that sends them unasked is read as without them (each document parsed): a client stops asking when a
   * snapshot read with them was refused, and must then not take them whatever the answer says.
   */
  constructor(private readonly askedForColumns: boolean) {}

  /** Stream offset just past the last newline pushed: the bytes before it are parsed (frames or blank lines). */
  get parsedUpTo(): number {
    return this.linesEnd;
  }

  push(data: Uint8Array): { frame: ParsedFrame; at: number }[] {
    const out: { frame: ParsedFrame; at: number }[] = [];
    let start = 0;
    let nl: number;
    while ((nl = data.indexOf(NL, start)) >= 0) {
      const frame = this.line(this.takeLine(data.subarray(start, nl)));
      if (frame) out.push({ frame, at: this.offset + nl + 1 });
      start = nl + 1;
    }
    if (start > 0) this.linesEnd = this.offset + start;
    if (start < data.byteLength) {
      this.pending.push(data.subarray(start));
      this.pendingBytes += data.byteLength - start;
    }
    this.offset += data.byteLength;
    return out;
  }

  /** The last line when the body does not end with a newline. */
  finish(): { frame: ParsedFrame; at: number } | null {
    if (this.pendingBytes === 0) return null;
    const frame = this.line(this.takeLine(new Uint8Array(0)));
    return frame ? { frame, at: this.offset } : null;
  }

  private line(bytes: Uint8Array): ParsedFrame | null {
    this.lineNo += 1;
    const latin1 = readAsLatin1(bytes);
    const line = latin1 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : this.decoder.decode(bytes);
    if (latin1) {
      const rows = splitRowsLine(line, bytes, this.withColumns);
      if (rows) return { t: 'rows', table: rows.table, rows };
    }
    if (line.trim() === '') return null;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new MalformedError(`snapshot line ${this.lineNo} is not JSON`);
    }
    const parsed = SnapshotFrame.safeParse(json);
    if (!parsed.success) {
      const message = `snapshot line ${this.lineNo}: ${formatZodError(parsed.error).slice(0, 500)}`;
      throw new MalformedError(latin1 ? fromLatin1(message) : message, parsed.error.issues.slice(0, 10));
    }
    const frame = parsed.data;
    if (frame.t === 'begin') this.withColumns = this.askedForColumns && frame.columns === EXTRACTION_VERSION;
    return frame.t === 'rows' ? { t: 'rows', table: frame.table, rows: stagedRowsOf(frame, latin1) } : frame;
  }

  /**
   * A line that spans chunks, joined: in `joined`, kept from line to line (a `rows` line is ~2 MB: a buffer of
   * its own for each meant zeroing and faulting in fresh pages every time). Nothing keeps a view of a line past
   * `line`: the frames hold copies (their documents are copied into a buffer of their own).
   */
  private takeLine(tail: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return tail;
    const n = this.pendingBytes + tail.byteLength;
    if (this.joined.byteLength < n) this.joined = new Uint8Array(Math.max(n, Math.min(2 * this.joined.byteLength, 64 * 2 ** 20)));
    const out = this.joined.subarray(0, n);
    let at = 0;
    for (const p of this.pending) {
      out.set(p, at);
      at += p.byteLength;
    }
    out.set(tail, at);
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }
}
