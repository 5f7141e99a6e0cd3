/**
 * Reads a snapshot response: NDJSON, one SnapshotFrame per line, handed to
 * `onFrame` one at a time as bytes arrive (a district's snapshot is never
 * held in memory whole). A line that is not JSON or not a frame is
 * malformed; a body that ends without `end` was cut off.
 *
 * A `rows` frame can be megabytes arriving in 64 KB chunks: the chunks of an
 * unfinished line are kept as a list and joined once the newline comes, so
 * each byte is scanned and copied a bounded number of times.
 */
import { SnapshotFrame, formatZodError } from '../../../core/index';
import { MalformedError, UnavailableError } from './http';

const NL = 0x0a;

export async function readSnapshotStream(
  body: ReadableStream<Uint8Array>,
  onFrame: (frame: SnapshotFrame, bytesSoFar: number) => void | 'stop',
): Promise<{ ended: boolean; bytes: number }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let lineNo = 0;
  const handle = (bytesOfLine: Uint8Array): boolean => {
    lineNo += 1;
    const line = decoder.decode(bytesOfLine);
    if (line.trim() === '') return false;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new MalformedError(`snapshot line ${lineNo} is not JSON`);
    }
    const parsed = SnapshotFrame.safeParse(json);
    if (!parsed.success) throw new MalformedError(`snapshot line ${lineNo}: ${formatZodError(parsed.error).slice(0, 500)}`, parsed.error.issues.slice(0, 10));
    return onFrame(parsed.data, bytes) === 'stop';
  };
  const takeLine = (tail: Uint8Array): Uint8Array => {
    if (pending.length === 0) return tail;
    const out = new Uint8Array(pendingBytes + tail.byteLength);
    let at = 0;
    for (const p of pending) {
      out.set(p, at);
      at += p.byteLength;
    }
    out.set(tail, at);
    pending = [];
    pendingBytes = 0;
    return out;
  };
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new UnavailableError(`the snapshot stream broke after ${bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (chunk.done) break;
      const data = chunk.value;
      bytes += data.byteLength;
      let start = 0;
      let nl: number;
      while ((nl = data.indexOf(NL, start)) >= 0) {
        if (handle(takeLine(data.subarray(start, nl)))) return { ended: true, bytes };
        start = nl + 1;
      }
      if (start < data.byteLength) {
        pending.push(data.subarray(start));
        pendingBytes += data.byteLength - start;
      }
    }
    if (pendingBytes > 0 && handle(takeLine(new Uint8Array(0)))) return { ended: true, bytes };
    return { ended: false, bytes };
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
