/**
 * The replica image's download (docs/sync-client.md, "A replica image switched in whole"): the answer of
 * `GET /api/v1/sync/image` (core/sync/image.ts) checked from its headers before a byte is written, then its
 * body streamed to a file with the bytes counted against `Content-Length`.
 *
 * The request itself goes through the snapshot's GET (./snapshot-http.ts: node:http, or an injected fetch),
 * opened and watched for idleness by the sync client exactly as the row snapshot's; this module only reads
 * the answer. Its errors are the sync client's kinds (./http.ts): a header missing or not what was asked for
 * is MalformedError (the client stops asking for images), a body that breaks or ends short of its length is
 * UnavailableError (the client takes the row snapshot, and tries an image again next time).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import type { Cursor, SyncScope } from '../../../core/index';
import { IMAGE_CONTENT_TYPE, IMAGE_HEADERS, parseImageCursor, type ReplicaSchemaId } from '../../../core/sync/image';
import { MalformedError, UnavailableError } from './http';
import type { SnapshotResponse } from './snapshot-http';

/** What a 200 answer says of its image. */
export interface ImageAnswer {
  /** Content-Length: the file's size */
  bytes: number;
  /** hex SHA-256 of the whole file, lower case */
  sha256: string;
  scope: SyncScope;
  /** the cursor the image's rows are at: the tail starts there */
  cursor: Cursor;
  schema: ReplicaSchemaId;
}

/**
 * The headers of a 200 answer, checked against what was asked (scope, schema): MalformedError when one is
 * missing, unreadable or not the one asked for — such an image would be refused after its download anyway.
 */
export function imageAnswerOf(headers: SnapshotResponse['headers'], asked: { scope: SyncScope; schema: ReplicaSchemaId }): ImageAnswer {
  const type = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== IMAGE_CONTENT_TYPE) throw new MalformedError(`image: Content-Type ${type ?? 'missing'}, expected ${IMAGE_CONTENT_TYPE}`);
  const length = headers.get('content-length');
  const bytes = length !== null && /^\d+$/.test(length.trim()) ? Number(length.trim()) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new MalformedError(`image: Content-Length ${length ?? 'missing'}`);
  const sha256 = headers.get(IMAGE_HEADERS.sha256)?.trim().toLowerCase() ?? '';
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new MalformedError(`image: ${IMAGE_HEADERS.sha256} ${sha256 || 'missing'}`);
  const scope = headers.get(IMAGE_HEADERS.scope)?.trim();
  if (scope !== asked.scope) throw new MalformedError(`image: asked for scope ${asked.scope}, got ${scope ?? 'none'}`);
  const rawCursor = headers.get(IMAGE_HEADERS.cursor);
  const cursor = parseImageCursor(rawCursor?.trim());
  if (!cursor) throw new MalformedError(`image: ${IMAGE_HEADERS.cursor} ${rawCursor ?? 'missing'} is not <epoch>:<v>`);
  const schema = headers.get(IMAGE_HEADERS.schema)?.trim();
  if (schema !== asked.schema) throw new MalformedError(`image: asked for schema ${asked.schema}, got ${schema ?? 'none'}`);
  return { bytes, sha256, scope: asked.scope, cursor, schema: asked.schema };
}

/**
 * While an image is received its file is flushed to the disk every this many bytes (`fdatasync`, off the thread,
 * one at a time), so that the disk writes it while the rest arrives: the switch must have the whole file on disk
 * before it renames it into place (store/replica-image.ts renameInReplicaImage), and a 2.6 GB download left to
 * the kernel stays mostly dirty in the page cache (the background writeback starts at 10% of memory) — its
 * fsync then wrote it all after the download, at the disk's pace.
 */
export const IMAGE_FLUSH_BYTES = 64 * 2 ** 20;

/**
 * The body's chunks (~64 KB from a socket) are gathered up to this many bytes and written in one `writev`: one
 * write on the thread pool per MB instead of a stream's write per chunk (docs/sync-client.md, "The image's body,
 * received": 1 MB measured as fast as 4 and 16 MB, with shorter event-loop delays).
 */
export const IMAGE_WRITE_BYTES = 2 ** 20;

/**
 * Streams an answer's body into `file` (created: a leftover must be deleted first), calling `onBytes` with the
 * running count after each chunk; resolves once the file holds exactly `expectedBytes`, with the hex SHA-256 of
 * the bytes written — hashed as they pass, so that the switch need not read the file again for its digest (at
 * 10^6 events a 2.6 GB file: ~5 s). The file is flushed to the disk as it grows (IMAGE_FLUSH_BYTES); the last
 * part is left for the caller's fsync. A body that breaks (an abort included: the caller tells its own reason
 * from the signal), a file that cannot be created, written or flushed, or a body that ends before or after
 * `expectedBytes` is UnavailableError (a cut download). The file is left for the caller, whole or not.
 *
 * The receive loop reads the body with for-await (no stream pipeline: its per-chunk cost was most of the
 * download's CPU), gathers `writeBytes` and writes them off the thread (`fs.writev`, so a write the kernel
 * throttles does not stall the data service's event loop) while the next `writeBytes` fill: one write in flight,
 * the body not read further until it is done, so memory stays at about twice `writeBytes` however slow the disk.
 * A write or flush that fails destroys the body at once.
 */
export async function receiveImageBody(
  body: NonNullable<SnapshotResponse['body']>,
  file: string,
  expectedBytes: number,
  onBytes: (bytes: number) => void,
  flushBytes: number = IMAGE_FLUSH_BYTES,
  writeBytes: number = IMAGE_WRITE_BYTES,
): Promise<string> {
  let bytes = 0;
  const hash = createHash('sha256');
  const source = body instanceof Readable ? body : Readable.fromWeb(body as NodeWebReadableStream<Uint8Array>);
  let fd: number | null = null;
  let closeError: Error | null = null;
  /** bytes on the file (written, not yet flushed) */
  let written = 0;
  let writing: Promise<void> | null = null;
  // a write or flush that fails ends the download at once (its bytes could not be made durable: the switch would refuse it)
  let failure: unknown = null;
  const fail = (err: unknown) => {
    if (failure !== null) return;
    failure = err;
    source.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  // the flushes go through a descriptor of their own (fdatasync flushes the file, whichever descriptor names it)
  let flusher: FileHandle | null = null;
  let flushing: Promise<void> | null = null;
  let flushedAt = 0;
  const flush = () => {
    if (flushing || failure !== null || written - flushedAt < flushBytes) return;
    flushedAt = written;
    flushing = (async () => {
      // 'r+': Windows' FlushFileBuffers needs a handle with write access (EPERM on a read-only one)
      flusher ??= await fsp.open(file, 'r+');
      await flusher.datasync();
    })()
      .catch(fail)
      .finally(() => (flushing = null));
  };
  const write = (to: number, parts: Uint8Array[]) =>
    writeAll(to, parts).then((n) => {
      written += n;
      flush();
    }, fail);
  // a flush is due every flushBytes written: a write gathers no more than that
  const gather = Math.max(1, Math.min(writeBytes, flushBytes));
  try {
    fd = await openFile(file, 'wx');
    let parts: Uint8Array[] = [];
    let gathered = 0;
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      // a body longer than its Content-Length is refused at once, not written to the end (it could fill the disk)
      if (bytes > expectedBytes) {
        fail(new Error(`the body is longer than its Content-Length ${expectedBytes}`));
        break;
      }
      hash.update(chunk);
      onBytes(bytes);
      parts.push(chunk);
      gathered += chunk.byteLength;
      if (gathered < gather) continue;
      // one write in flight: the body waits for it (the socket's own backpressure), then the next one starts
      await writing;
      if (failure !== null) break;
      writing = write(fd, parts);
      parts = [];
      gathered = 0;
    }
    await writing;
    if (failure === null && gathered > 0) await write(fd, parts);
    await flushing;
    if (failure !== null) throw failure;
  } catch (caught) {
    const err: unknown = failure ?? caught;
    throw new UnavailableError(`the image download broke after ${bytes} of ${expectedBytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    // a file that could not be created, or a loop left on a failure: the body is not read further
    if (!source.readableEnded) source.destroy();
    // no descriptor is closed under a write or flush still running on it
    await writing;
    await flushing;
    await (flusher as FileHandle | null)?.close().catch(() => undefined);
    if (fd !== null) closeError = await closeFile(fd);
  }
  // reached only when the body was received whole: a close that fails then (a network folder reports a delayed
  // write error only there) is a cut download too
  if (closeError !== null) throw new UnavailableError(`the image file could not be closed after ${bytes} bytes: ${closeError.message}`);
  if (bytes !== expectedBytes) throw new UnavailableError(`the image download ended after ${bytes} bytes, its Content-Length says ${expectedBytes}`);
  return hash.digest('hex');
}

/** fs.open as a promise of a plain descriptor (the writes are fs.writev's, without a FileHandle's bookkeeping). */
function openFile(file: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** fs.close as a promise of its error, or null: never rejects, so that a `finally` can always await it */
function closeFile(fd: number): Promise<Error | null> {
  return new Promise((resolve) => fs.close(fd, (err) => resolve(err ?? null)));
}

/** Writes `parts` at the descriptor's position, again from where a short write stopped; resolves with the bytes written. */
async function writeAll(fd: number, parts: Uint8Array[]): Promise<number> {
  let total = 0;
  let rest = parts;
  while (rest.length > 0) {
    const n = await new Promise<number>((resolve, reject) => fs.writev(fd, rest, (err, count) => (err ? reject(err) : resolve(count))));
    // libuv already writes again after a short write; a write of nothing would loop here for ever
    if (n <= 0) throw new Error(`writev wrote ${n} bytes`);
    total += n;
    rest = afterBytes(rest, n);
  }
  return total;
}

/** what is left of `parts` once their first `n` bytes are written */
function afterBytes(parts: Uint8Array[], n: number): Uint8Array[] {
  let skip = n;
  let i = 0;
  while (i < parts.length && skip >= parts[i]!.byteLength) skip -= parts[i++]!.byteLength;
  if (i === parts.length) return [];
  return [parts[i]!.subarray(skip), ...parts.slice(i + 1)];
}
