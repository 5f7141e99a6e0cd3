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
import { createWriteStream } from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
 * Streams an answer's body into `file` (created: a leftover must be deleted first), calling `onBytes` with the
 * running count after each chunk; resolves once the file holds exactly `expectedBytes`, with the hex SHA-256 of
 * the bytes written — hashed as they pass, so that the switch need not read the file again for its digest (at
 * 10^6 events a 2.6 GB file: ~5 s). The file is flushed to the disk as it grows (IMAGE_FLUSH_BYTES); the last
 * part is left for the caller's fsync. A body that breaks (an abort included: the caller tells its own reason
 * from the signal), a file that cannot be created, written or flushed, or a body that ends before or after
 * `expectedBytes` is UnavailableError (a cut download). The file is left for the caller, whole or not.
 */
export async function receiveImageBody(
  body: NonNullable<SnapshotResponse['body']>,
  file: string,
  expectedBytes: number,
  onBytes: (bytes: number) => void,
  flushBytes: number = IMAGE_FLUSH_BYTES,
): Promise<string> {
  let bytes = 0;
  const hash = createHash('sha256');
  const source = body instanceof Readable ? body : Readable.fromWeb(body as NodeWebReadableStream<Uint8Array>);
  // the flushes go through a descriptor of their own (fdatasync flushes the file, whichever descriptor names it)
  let flusher: FileHandle | null = null;
  let flushing: Promise<void> | null = null;
  let flushError: unknown = null;
  let flushedAt = 0;
  const out = createWriteStream(file, { flags: 'wx' });
  let created = false;
  out.once('open', () => (created = true));
  // a flush that fails ends the download at once (its bytes could not be made durable: the switch would refuse it)
  const stop = new AbortController();
  const flush = () => {
    if (!created || flushing || flushError !== null || bytes - flushedAt < flushBytes) return;
    flushedAt = bytes;
    flushing = (async () => {
      // 'r+': Windows' FlushFileBuffers needs a handle with write access (EPERM on a read-only one)
      flusher ??= await fsp.open(file, 'r+');
      await flusher.datasync();
    })()
      .catch((err: unknown) => {
        flushError = err;
        stop.abort(err);
      })
      .finally(() => (flushing = null));
  };
  try {
    await pipeline(
      source,
      async function* count(chunks: AsyncIterable<Uint8Array>) {
        for await (const chunk of chunks) {
          bytes += chunk.byteLength;
          hash.update(chunk);
          onBytes(bytes);
          flush();
          yield chunk;
        }
      },
      out,
      { signal: stop.signal },
    );
    await flushing;
    if (flushError !== null) throw flushError;
  } catch (caught) {
    const err: unknown = flushError ?? caught;
    throw new UnavailableError(`the image download broke after ${bytes} of ${expectedBytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await flushing;
    await (flusher as FileHandle | null)?.close().catch(() => undefined);
  }
  if (bytes !== expectedBytes) throw new UnavailableError(`the image download ended after ${bytes} bytes, its Content-Length says ${expectedBytes}`);
  return hash.digest('hex');
}
