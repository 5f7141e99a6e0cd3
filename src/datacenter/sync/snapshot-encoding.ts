/**
 * How one page of a snapshot's rows goes on the wire — the only place that knows it. A `rows`
 * frame is one NDJSON line:
 *
 *   {"t":"rows","table":"events","rows":[{"key":"E1","v":12,"row":{…}},…]}\n
 *
 * with `row` the row's jsonb exactly as PostgreSQL prints it (`jsonb::text`, which `sync_rows.row` stores
 * since migration 0008). When the client asked for
 * the extracted columns (docs/sync-protocol.md "Extracted columns"), a row that has them of the asked
 * version carries them between `v` and `row`, as `sync_rows.cols` holds them (a JSON array text):
 *
 *   {"key":"E1","v":12,"c":["C-1","closed",0,…],"row":{…}}
 *
 * Two encoders make the
 * same bytes from the two ways the snapshot reads its rows:
 *
 * - `rowsPageText`: rows read as strings (the keyset-paged SELECTs, PGlite);
 * - `RowsPageBuilder`: rows as bytes straight from a binary COPY (PostgreSQL): the key's and the
 *   document's UTF-8 bytes are copied into the frame's buffer, never decoded or re-encoded; only a
 *   key holding `"`, `\` or a control character is escaped, through JSON.stringify.
 *
 * Another rows encoding would be a third encoder here, chosen by the caller per request.
 */

/** The frame's text before its first row. */
function pageHead(table: string): string {
  return `{"t":"rows","table":${JSON.stringify(table)},"rows":[`;
}
const PAGE_TAIL = ']}\n';

/** A page of rows read as strings (key, v, the row's jsonb text, and its extracted columns' text when sent). */
export function rowsPageText(table: string, rows: readonly { key: string; v: string | number; row: string; cols?: string | null }[]): string {
  let text = pageHead(table);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const c = r.cols === null || r.cols === undefined ? '' : `,"c":${r.cols}`;
    text += `${i === 0 ? '' : ','}{"key":${JSON.stringify(r.key)},"v":${Number(r.v)}${c},"row":${r.row}}`;
  }
  return text + PAGE_TAIL;
}

const KEY_OPEN = Buffer.from('{"key":');
const V_OPEN = Buffer.from(',"v":');
const ROW_OPEN = Buffer.from(',"row":');
const COLS_OPEN = Buffer.from(',"c":');
/** per row besides its key token, v digits and row: {"key": ,"v": ,"row": } */
const ROW_FIXED = KEY_OPEN.length + V_OPEN.length + ROW_OPEN.length + 1;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

/**
 * Decimal digits of an integer (with its sign). Beyond 2^53 (an int8 version rounded to a double)
 * the digits are String(v)'s, as the text encoder writes them: the arithmetic below is exact only
 * for safe integers.
 */
function digitCount(v: number): number {
  if (!Number.isSafeInteger(v)) return String(v).length;
  if (v < 0) return 1 + digitCount(-v);
  let d = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

function writeInteger(out: Buffer, pos: number, v: number, digits: number): void {
  if (!Number.isSafeInteger(v)) {
    out.write(String(v), pos, digits, 'latin1');
    return;
  }
  let x = v;
  if (x < 0) {
    out[pos] = 0x2d;
    x = -x;
  }
  for (let i = pos + digits - 1; x >= 10; i--) {
    out[i] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  out[v < 0 ? pos + 1 : pos] = 0x30 + x;
}

/** Whether the key's bytes can go between quotes as they are (no `"`, `\`, nor control character). */
function plainKey(buf: Buffer, at: number, len: number): boolean {
  for (let i = at, end = at + len; i < end; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b === QUOTE || b === BACKSLASH) return false;
  }
  return true;
}

/**
 * Gathers up to `capacity` rows as references into the buffers holding their bytes, then `take`
 * encodes them as one `rows` frame in a buffer of its own (one copy of each row's bytes) and
 * starts a new page. The referenced buffers must not change until then.
 */
export class RowsPageBuilder {
  private n = 0;
  private bytes = 0;
  private readonly bufs: Buffer[];
  private readonly keyAt: Int32Array;
  private readonly keyLen: Int32Array;
  private readonly rowAt: Int32Array;
  private readonly rowLen: Int32Array;
  /** the extracted columns' text in bufs[i] (colsLen -1: none) */
  private readonly colsAt: Int32Array;
  private readonly colsLen: Int32Array;
  private readonly vs: Float64Array;
  private readonly vDigits: Uint8Array;
  /** the JSON token of a key that needed escaping, else undefined */
  private readonly escaped: (Buffer | undefined)[];
  private anyEscaped = false;

  constructor(readonly capacity: number) {
    this.bufs = new Array<Buffer>(capacity);
    this.keyAt = new Int32Array(capacity);
    this.keyLen = new Int32Array(capacity);
    this.rowAt = new Int32Array(capacity);
    this.rowLen = new Int32Array(capacity);
    this.colsAt = new Int32Array(capacity);
    this.colsLen = new Int32Array(capacity);
    this.vs = new Float64Array(capacity);
    this.vDigits = new Uint8Array(capacity);
    this.escaped = new Array<Buffer | undefined>(capacity).fill(undefined);
  }

  get count(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  /** Adds a row: its key's and row's UTF-8 bytes in `buf`, its version, and its extracted columns' text in `buf` (colsLen < 0: none). */
  add(buf: Buffer, keyAt: number, keyLen: number, v: number, rowAt: number, rowLen: number, colsAt = 0, colsLen = -1): void {
    const i = this.n++;
    this.bufs[i] = buf;
    this.keyAt[i] = keyAt;
    this.keyLen[i] = keyLen;
    this.rowAt[i] = rowAt;
    this.rowLen[i] = rowLen;
    this.colsAt[i] = colsAt;
    this.colsLen[i] = colsLen;
    this.vs[i] = v;
    const d = digitCount(v);
    this.vDigits[i] = d;
    let keyToken = keyLen + 2;
    if (!plainKey(buf, keyAt, keyLen)) {
      const token = Buffer.from(JSON.stringify(buf.toString('utf8', keyAt, keyAt + keyLen)));
      this.escaped[i] = token;
      this.anyEscaped = true;
      keyToken = token.length;
    }
    this.bytes += ROW_FIXED + keyToken + d + rowLen + (colsLen < 0 ? 0 : COLS_OPEN.length + colsLen);
  }

  /** The page as one `rows` frame of `table` (null when empty); the builder is empty again. */
  take(table: string): Buffer | null {
    const n = this.n;
    if (n === 0) return null;
    const head = pageHead(table);
    const size = Buffer.byteLength(head) + this.bytes + (n - 1) + PAGE_TAIL.length;
    const out = Buffer.allocUnsafe(size);
    let pos = out.write(head, 0);
    for (let i = 0; i < n; i++) {
      if (i > 0) out[pos++] = COMMA;
      out.set(KEY_OPEN, pos);
      pos += KEY_OPEN.length;
      const token = this.anyEscaped ? this.escaped[i] : undefined;
      const buf = this.bufs[i]!;
      if (token) {
        out.set(token, pos);
        pos += token.length;
        this.escaped[i] = undefined;
      } else {
        out[pos++] = QUOTE;
        const k = this.keyAt[i]!;
        pos += buf.copy(out, pos, k, k + this.keyLen[i]!);
        out[pos++] = QUOTE;
      }
      out.set(V_OPEN, pos);
      pos += V_OPEN.length;
      const d = this.vDigits[i]!;
      writeInteger(out, pos, this.vs[i]!, d);
      pos += d;
      const cl = this.colsLen[i]!;
      if (cl >= 0) {
        out.set(COLS_OPEN, pos);
        pos += COLS_OPEN.length;
        const c = this.colsAt[i]!;
        pos += buf.copy(out, pos, c, c + cl);
      }
      out.set(ROW_OPEN, pos);
      pos += ROW_OPEN.length;
      const r = this.rowAt[i]!;
      pos += buf.copy(out, pos, r, r + this.rowLen[i]!);
      out[pos++] = CLOSE_BRACE;
      this.bufs[i] = undefined as unknown as Buffer; // let the chunk go
    }
    pos += out.write(PAGE_TAIL, pos);
    if (pos !== size) throw new Error(`rows page: wrote ${pos} bytes of ${size}`);
    this.n = 0;
    this.bytes = 0;
    this.anyEscaped = false;
    return out;
  }
}
