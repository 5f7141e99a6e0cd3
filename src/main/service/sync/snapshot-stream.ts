/**
 * Reads a snapshot response: NDJSON, one SnapshotFrame per line, handed to
 * `onFrame` one at a time as bytes arrive (a district's snapshot is never
 * held in memory whole). A line that is not JSON or not a frame is
 * malformed; a body that ends without `end` was cut off.
 */
import { SnapshotFrame, formatZodError } from '../../../core/index';
import { MalformedError, UnavailableError } from './http';

export async function readSnapshotStream(
  body: ReadableStream<Uint8Array>,
  onFrame: (frame: SnapshotFrame, bytesSoFar: number) => void | 'stop',
): Promise<{ ended: boolean; bytes: number }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // where to look for the next newline: a rows frame can be megabytes, arriving in 64 KB chunks
  let scanFrom = 0;
  let bytes = 0;
  let lineNo = 0;
  const handle = (line: string): boolean => {
    lineNo += 1;
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
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new UnavailableError(`the snapshot stream broke after ${bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (chunk.done) break;
      bytes += chunk.value.byteLength;
      buffer += decoder.decode(chunk.value, { stream: true });
      let start = 0;
      let nl: number;
      while ((nl = buffer.indexOf('\n', Math.max(start, scanFrom))) >= 0) {
        const line = buffer.slice(start, nl);
        start = nl + 1;
        scanFrom = 0;
        if (handle(line)) return { ended: true, bytes };
      }
      buffer = buffer.slice(start);
      scanFrom = buffer.length;
    }
    buffer += decoder.decode();
    if (buffer.length > 0 && handle(buffer)) return { ended: true, bytes };
    return { ended: false, bytes };
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
