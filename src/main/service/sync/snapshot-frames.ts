/**
 * The CPU-bound half of reading a snapshot, the same code in the data
 * service's thread and in the parser worker (./snapshot-worker.ts): NDJSON
 * bytes in, frames out, each `rows` frame already turned into what the
 * staging inserts bind — per row its key, v, document text and extracted
 * columns (store/replicated-rows.ts `extractRow`). A line that is not JSON,
 * not a frame, or a row the replica cannot index throws a MalformedError with
 * the same message wherever it runs.
 *
 * A `rows` frame can be megabytes arriving in 64 KB chunks: the chunks of an
 * unfinished line are kept as a list and joined once the newline comes, so
 * each byte is scanned and copied a bounded number of times.
 */
import { isUtf8 } from 'node:buffer';
import { SnapshotFrame, formatZodError, type ReplicatedTable } from '../../../core/index';
import { extractRow, extractedColumns, MalformedRowError, type StagedRows } from '../store/replicated-rows';
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
  private lineNo = 0;
  private offset = 0;
  private linesEnd = 0;

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
    return frame.t === 'rows' ? { t: 'rows', table: frame.table, rows: stagedRowsOf(frame, latin1) } : frame;
  }

  private takeLine(tail: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return tail;
    const out = new Uint8Array(this.pendingBytes + tail.byteLength);
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
