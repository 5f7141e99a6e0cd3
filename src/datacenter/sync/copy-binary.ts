/**
 * A streaming parser of PostgreSQL's binary COPY format (`COPY … TO STDOUT (FORMAT binary)`,
 * https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4): the 11-byte signature,
 * int32 flags, int32 header-extension length (+ the extension), then per tuple an int16 field count
 * and per field an int32 length (-1 = NULL) and that many bytes, and the int16 -1 trailer.
 *
 * Chunks arrive cut anywhere. Each tuple is handed over as the buffer holding it plus its fields'
 * offsets and lengths — no per-field Buffer view, no decoding: the caller copies the bytes it
 * wants. A tuple cut across chunks is joined once enough bytes have arrived to complete it (the
 * bytes still needed are known from the lengths read so far), so a multi-megabyte field arriving
 * in 64 KB chunks is copied a bounded number of times, not once per chunk.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = SIGNATURE.length + 8;

export class CopyFormatError extends Error {}

/**
 * `at[2 * f]` is field f's offset in `buf`, `at[2 * f + 1]` its length in bytes, -1 for NULL.
 * Both `buf` and `at` are only valid during the call (`at` is reused); keep `buf` itself if the
 * bytes must outlive it (chunks are never written to).
 */
export type TupleHandler = (buf: Buffer, at: Int32Array) => void;

export class BinaryCopyParser {
  private readonly at: Int32Array;
  private headerDone = false;
  private ended = false;
  /** the unparsed tail: chunks not yet joined, their total length, and how many bytes the next step needs */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = 0;
  tuples = 0;

  constructor(
    private readonly fields: number,
    private readonly onTuple: TupleHandler,
  ) {
    this.at = new Int32Array(fields * 2);
  }

  /** true once the trailer has been read */
  get done(): boolean {
    return this.ended;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.ended) throw new CopyFormatError('binary COPY: data after the trailer');
    let buf: Buffer;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.need) return;
      buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      buf = chunk;
    }
    const p = this.parse(buf);
    if (p < buf.length) {
      this.pending = [p === 0 ? buf : buf.subarray(p)];
      this.pendingBytes = buf.length - p;
    }
  }

  /** Checks that the stream ended exactly after its trailer. */
  end(): void {
    if (!this.ended) throw new CopyFormatError(this.headerDone || this.pendingBytes > 0 ? 'binary COPY: the stream ended before its trailer' : 'binary COPY: empty stream');
  }

  /** Parses whole tuples from `buf`; returns where the unparsed rest starts and sets `need` (bytes from there). */
  private parse(buf: Buffer): number {
    const len = buf.length;
    let p = 0;
    if (!this.headerDone) {
      if (len < HEADER_FIXED) return this.short(0, HEADER_FIXED);
      if (buf.compare(SIGNATURE, 0, SIGNATURE.length, 0, SIGNATURE.length) !== 0) throw new CopyFormatError('binary COPY: bad signature');
      const flags = buf.readUInt32BE(SIGNATURE.length);
      if ((flags & 0x10000) !== 0) throw new CopyFormatError('binary COPY: OIDs included');
      if ((flags & 0xfffe0000) !== 0) throw new CopyFormatError('binary COPY: unknown critical header flags');
      const ext = buf.readUInt32BE(SIGNATURE.length + 4);
      if (len < HEADER_FIXED + ext) return this.short(0, HEADER_FIXED + ext);
      p = HEADER_FIXED + ext;
      this.headerDone = true;
    }
    const fields = this.fields;
    const at = this.at;
    while (p < len) {
      if (p + 2 > len) return this.short(p, 2);
      const n = buf.readInt16BE(p);
      if (n === -1) {
        this.ended = true;
        if (p + 2 !== len) throw new CopyFormatError('binary COPY: data after the trailer');
        return len;
      }
      if (n !== fields) throw new CopyFormatError(`binary COPY: a tuple of ${n} fields, expected ${fields}`);
      let q = p + 2;
      for (let f = 0; f < fields; f++) {
        if (q + 4 > len) return this.short(p, q + 4 - p);
        const l = buf.readInt32BE(q);
        q += 4;
        if (l < -1) throw new CopyFormatError(`binary COPY: field length ${l}`);
        at[2 * f] = q;
        at[2 * f + 1] = l;
        if (l > 0) {
          if (q + l > len) return this.short(p, q + l - p);
          q += l;
        }
      }
      this.onTuple(buf, at);
      this.tuples++;
      p = q;
    }
    return p;
  }

  private short(p: number, need: number): number {
    this.need = need;
    return p;
  }
}
