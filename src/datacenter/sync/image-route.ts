/**
 * `GET /api/v1/sync/image?scope=&schema=&pageSize=`: a ready-made SQLite replica of a scope, built by a
 * keeper (src/main/service/keeper) next to the data center, for a desktop to switch in whole instead of
 * taking the row snapshot (core/sync/image.ts is the contract; docs/sync-protocol.md "Replica image").
 *
 * The data center only reads the images folder (`--images DIR`): per scope the keeper's manifest
 * `<scope>.json` and the file it names, each renamed into place whole. An image is served when its
 * manifest parses, is of the schema and page size asked for, and its cursor could continue live: the
 * current epoch, not older than the change log's retention floor (a tail from it would be answered 409
 * `must_refetch`) and not beyond the head. Anything else is 404 `not_found` with `details.reason:
 * 'no_image'` (and `details.why`), and the client takes the row snapshot.
 *
 * The file is opened before the answer starts and streamed from that descriptor: a keeper that renames
 * a newer image into place, or deletes the old one, mid-download does not cut it (on POSIX an open file
 * outlives its name).
 *
 * A client that opens a download and stops reading would hold the descriptor and the socket for ever: as a
 * snapshot export's (./snapshot-limits.ts), a download whose client has taken nothing for `stallTimeoutMs`
 * (the file no further read and the response's buffered bytes, socket included, not gone down) is cut — the
 * response destroyed, which destroys the file stream and closes the descriptor. No cap on concurrent image
 * streams: they hold no database connection, and a 503 sends the desktop to the row snapshot, which costs
 * both sides far more than the image it was refused.
 */
import type { ReadStream } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HuyingError, type Actor, type SyncScope } from '../../core';
import { formatImageCursor, IMAGE_CONTENT_TYPE, IMAGE_HEADERS, ImageManifest, imageManifestName, ImageQuery } from '../../core/sync/image';

/** why no image was served (`details.why` of the 404) */
export type NoImageWhy = 'no_keeper' | 'no_manifest' | 'bad_manifest' | 'schema' | 'page_size' | 'epoch' | 'expired' | 'ahead' | 'no_file' | 'length';

/** The change log's head as the live feed checks a cursor against it (routes.ts checkCursor). */
export interface FeedHead {
  epoch: string;
  v: number;
  /** versions at or below this are pruned: a cursor below it cannot continue */
  floor: number;
}

export interface ImageRouteOptions {
  /** the keeper's folder; null: no keeper, every request is 404 */
  imagesDir: string | null;
  /** the sync routes' auth: an actor allowed to read the scope, or a 401/403 thrown */
  requireActor(request: FastifyRequest, scope: SyncScope): Actor;
  /** the database's head and retention floor, read fresh */
  head(): Promise<FeedHead>;
  /** cut a download whose client has taken nothing for this long (the snapshot's `stallTimeoutMs`); 0 or absent: never */
  stallTimeoutMs?: number;
}

/**
 * The image file is read in pieces of this many bytes, each written to the socket whole. Measured on fastify over
 * loopback (2.7 GB, 2 shared cores, noisy): median CPU per GB served 1.32 s with 1 MB pieces (41 downloads), 1.23 s
 * with 2 MB (19), 1.19 s with 4 MB (5); 64 KB 2.3 s. 2 MB: most of the gain for 1 MB more held per download
 * (docs/sync-client.md, "The image's body, received").
 *
 * The stall cut sees a client's progress once per piece (a piece leaves the response's buffer when its whole socket
 * write completes), so a client that drains less than one piece per `stallTimeoutMs` — 2 MB / 30 s ≈ 70 KB/s by
 * default, 35 KB/s with 1 MB pieces — is cut as stalled although it reads. It then takes the row snapshot in the same
 * attempt (src/main/service/sync/sync-client.ts): at that rate a 10^6-event image (2.6 GB) would take ten hours.
 */
export const IMAGE_READ_BYTES = 2 * 2 ** 20;

export function registerImageRoute(app: FastifyInstance, opts: ImageRouteOptions): void {
  app.get('/api/v1/sync/image', async (request, reply) => {
    const q = ImageQuery.parse(request.query);
    opts.requireActor(request, q.scope);
    const noImage = (why: NoImageWhy, message: string): never => {
      throw new HuyingError('not_found', message, { reason: 'no_image', why });
    };
    if (opts.imagesDir === null) return noImage('no_keeper', 'this data center has no image keeper: take the row snapshot');

    const manifestFile = path.join(opts.imagesDir, imageManifestName(q.scope));
    let text: string;
    try {
      text = await readFile(manifestFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') request.log.warn({ err, file: manifestFile }, 'image manifest unreadable');
      return noImage('no_manifest', `no image of scope ${q.scope} yet: take the row snapshot`);
    }
    let manifest: ImageManifest;
    try {
      manifest = ImageManifest.parse(JSON.parse(text));
    } catch (err) {
      request.log.warn({ err, file: manifestFile }, 'image manifest does not parse: not served');
      return noImage('bad_manifest', `the image of scope ${q.scope} has no valid manifest: take the row snapshot`);
    }
    if (manifest.scope !== q.scope) {
      request.log.warn({ file: manifestFile, scope: manifest.scope }, 'image manifest of another scope: not served');
      return noImage('bad_manifest', `the image of scope ${q.scope} has no valid manifest: take the row snapshot`);
    }
    if (manifest.schema !== q.schema) return noImage('schema', `the image of scope ${q.scope} has schema ${manifest.schema}, not ${q.schema}`);
    if (manifest.pageSize !== q.pageSize) return noImage('page_size', `the image of scope ${q.scope} has ${manifest.pageSize}-byte pages, not ${q.pageSize}`);

    // as the live feed checks a cursor (routes.ts checkCursor): the tail from the image must not be answered 409
    const head = await opts.head();
    const { epoch, v } = manifest.cursor;
    if (epoch !== head.epoch) return noImage('epoch', `the image of scope ${q.scope} is of another epoch (the keeper has not caught up)`);
    if (v < head.floor) return noImage('expired', `the image of scope ${q.scope} is older than the retained change log`);
    if (v > head.v) return noImage('ahead', `the image of scope ${q.scope} is beyond the data center's head`);

    let fh: FileHandle;
    try {
      fh = await open(path.join(opts.imagesDir, manifest.file), 'r');
    } catch (err) {
      request.log.warn({ err, file: manifest.file }, 'the manifest names an image file that cannot be opened: not served');
      return noImage('no_file', `the image of scope ${q.scope} is missing: take the row snapshot`);
    }
    try {
      const { size } = await fh.stat();
      if (size !== manifest.bytes) {
        request.log.warn({ file: manifest.file, bytes: size, manifestBytes: manifest.bytes }, 'the image file is not the length its manifest says: not served');
        return noImage('length', `the image of scope ${q.scope} is damaged: take the row snapshot`);
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    reply
      .header('cache-control', 'no-store')
      .header('content-type', IMAGE_CONTENT_TYPE)
      .header('content-length', String(manifest.bytes))
      .header(IMAGE_HEADERS.sha256, manifest.sha256)
      .header(IMAGE_HEADERS.scope, manifest.scope)
      .header(IMAGE_HEADERS.cursor, formatImageCursor(manifest.cursor))
      .header(IMAGE_HEADERS.schema, manifest.schema);
    // HEAD (fastify answers it with this handler and drains the body it is given): the headers only, the file
    // is not read — an empty stream, since fastify's HEAD hook sets Content-Length 0 for an empty payload
    if (request.method === 'HEAD') {
      await fh.close();
      return reply.send(Readable.from([]));
    }
    // the stream owns the descriptor from here (closed at its end, or when the client goes away)
    request.log.info({ scope: q.scope, file: manifest.file, bytes: manifest.bytes, cursor: manifest.cursor }, 'serving a replica image');
    const stream = fh.createReadStream({ highWaterMark: IMAGE_READ_BYTES });
    const stallMs = opts.stallTimeoutMs ?? 0;
    if (stallMs > 0) {
      cutWhenStalled(stream, reply.raw, stallMs, () => {
        request.log.info({ scope: q.scope, file: manifest.file, bytesRead: stream.bytesRead, stallTimeoutMs: stallMs }, 'image download cut: the client read nothing for the stall timeout');
      });
    }
    return reply.send(stream);
  });
}

/**
 * Destroys `res` (fastify then destroys `stream`: its descriptor is closed) once its client has taken nothing for
 * `ms`: no more of the file read and the response's buffered bytes (its socket's included) not gone down. Checked
 * every ~ms/4 (at most every second) until the response closes.
 */
function cutWhenStalled(stream: ReadStream, res: ServerResponse, ms: number, onCut: () => void): void {
  if (res.destroyed) return;
  let read = stream.bytesRead;
  let buffered = res.writableLength;
  let since = Date.now();
  const timer = setInterval(
    () => {
      const nowRead = stream.bytesRead;
      const nowBuffered = res.writableLength;
      if (nowRead > read || nowBuffered < buffered) since = Date.now();
      read = nowRead;
      buffered = nowBuffered;
      if (Date.now() - since < ms) return;
      clearInterval(timer);
      onCut();
      res.destroy();
    },
    Math.max(10, Math.min(1000, Math.floor(ms / 4))),
  );
  timer.unref();
  res.once('close', () => clearInterval(timer));
}
