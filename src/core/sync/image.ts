/**
 * The replica image's wire contract: a desktop that needs a snapshot first asks the data center for a
 * ready-made SQLite replica of its scope (built by a keeper, a data service kept live next to the data
 * center) and switches it in whole; without one it takes the row snapshot (docs/sync-client.md "A replica
 * image switched in whole", docs/sync-protocol.md).
 *
 * - `GET /api/v1/sync/image?scope=&schema=&pageSize=` (same auth as the snapshot):
 *   - `200` `Content-Type: application/vnd.sqlite3`, `Content-Length`, and the headers of IMAGE_HEADERS;
 *   - `404` `no_image`: no keeper, no image of that scope, schema or page size, or the image is not
 *     servable (another epoch, or its cursor older than the change log's retention floor: its tail would
 *     be answered 409). The client takes the row snapshot;
 *   - `503` `unavailable` with `Retry-After`: the image is being built. The client takes the row snapshot.
 * - Keeper → data center: a folder. Per scope, the image file and a manifest `<scope>.json`
 *   (ImageManifest), each written to a temp name, fsynced and renamed into place, the image first: a
 *   reader that sees a manifest sees its whole, checked file. The data center never writes there.
 */
import { z } from 'zod';
import { IsoInstant } from '../calendar/schema';
import { Cursor, SyncScope } from './protocol';

export const IMAGE_CONTENT_TYPE = 'application/vnd.sqlite3';

/** Response headers of a served image (lower case, as node:http hands them over). */
export const IMAGE_HEADERS = {
  /** hex SHA-256 of the whole file */
  sha256: 'x-huying-image-sha256',
  /** the scope the image holds */
  scope: 'x-huying-image-scope',
  /** `<epoch>:<v>`, the cursor the image's rows are at (its `sync_state`) */
  cursor: 'x-huying-image-cursor',
  /** the image's schema id (ReplicaSchemaId) */
  schema: 'x-huying-image-schema',
} as const;

/**
 * A replica's schema as one string: `<number of migrations>-<name of the last one>`, e.g. `10-drop-unused-indexes`.
 * The desktop asks for its own; the switch checks the full migration list anyway.
 */
export const ReplicaSchemaId = z
  .string()
  .max(200)
  .regex(/^\d+-[a-z0-9][a-z0-9._-]*$/i, 'a schema id is <number of migrations>-<last migration name>');
export type ReplicaSchemaId = z.infer<typeof ReplicaSchemaId>;

export function replicaSchemaIdOf(migrations: readonly { id: number; name: string }[]): ReplicaSchemaId {
  const last = migrations[migrations.length - 1];
  if (!last) throw new Error('a replica schema has at least one migration');
  return `${migrations.length}-${last.name}`;
}

/** SQLite page sizes */
export const ImagePageSize = z.coerce
  .number()
  .int()
  .refine((n) => n >= 512 && n <= 65536 && (n & (n - 1)) === 0, 'a page size is a power of two from 512 to 65536');

export const ImageQuery = z.object({ scope: SyncScope, schema: ReplicaSchemaId, pageSize: ImagePageSize });
export type ImageQuery = z.infer<typeof ImageQuery>;

/** A file name inside the images folder: no folder part, no leading dot. */
const ImageFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.sqlite$/, 'an image file is a plain *.sqlite name in the images folder');

export const ImageManifest = z.object({
  format: z.literal(1),
  scope: SyncScope,
  schema: ReplicaSchemaId,
  pageSize: ImagePageSize,
  /** the image file, in the same folder */
  file: ImageFileName,
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  cursor: Cursor,
  builtAt: IsoInstant,
});
export type ImageManifest = z.infer<typeof ImageManifest>;

/** The manifest's file name of a scope in the images folder. */
export function imageManifestName(scope: SyncScope): string {
  return `${scope}.json`;
}

export function formatImageCursor(c: Cursor): string {
  return `${c.epoch}:${c.v}`;
}

/** `<epoch>:<v>` → Cursor; null when malformed (the epoch may not hold a colon, the v is the part after the last one). */
export function parseImageCursor(header: string | undefined | null): Cursor | null {
  if (!header) return null;
  const at = header.lastIndexOf(':');
  if (at <= 0) return null;
  const parsed = Cursor.safeParse({ epoch: header.slice(0, at), v: /^\d+$/.test(header.slice(at + 1)) ? Number(header.slice(at + 1)) : NaN });
  return parsed.success ? parsed.data : null;
}
