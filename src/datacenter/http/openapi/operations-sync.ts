/**
 * Operations of the sync feed and the command endpoint (src/datacenter/sync/routes.ts,
 * src/datacenter/commands/routes.ts, docs/sync-protocol.md). The snapshot is NDJSON, the live
 * feed a WebSocket (documented as the GET that upgrades), SSE or a long-poll; the frames are
 * core's schemas (src/core/sync/protocol.ts).
 */
import { z } from 'zod';
import { CommandsRequest, CommandsResponse, LiveFrame, LiveQuery, ScopeChecksum, SnapshotFrame } from '../../../core';
import { IMAGE_CONTENT_TYPE, IMAGE_HEADERS, ImageQuery } from '../../../core/sync/image';
import { BumpEpochResponse, SnapshotExportQuery, SnapshotQuery } from '../../sync/routes';
import type { OperationSpec } from './spec';

const scopeText = '`district` (everything; walls) or a 12-digit town code (that town\'s rows and the district-wide ones). The account must be allowed to read it (403 otherwise).';

const liveDescriptions = {
  scope: scopeText,
  epoch: 'The epoch of the client\'s cursor (from the snapshot\'s checkpoint or the last batch).',
  v: 'The version of the client\'s cursor: the replica holds exactly the state after it.',
  clientId: 'The client\'s id, so the acks of its commands come with the batches.',
  wait: 'Long-poll only: seconds to wait for a change before answering with a heartbeat (default 25, at most 60).',
};

const liveFrameRef = { $ref: '#/components/schemas/LiveFrame' };

export function syncOperations(): OperationSpec[] {
  return [
    {
      method: 'get',
      path: '/api/v1/sync/snapshot',
      operationId: 'syncSnapshot',
      tags: ['sync'],
      summary: 'Snapshot of a scope, from one consistent read',
      description:
        'A stream of NDJSON frames (`application/x-ndjson`, one `SnapshotFrame` per line): `begin` (checkpoint, total rows, the tables to empty), `rows` pages of about 1000 rows, and `end` with the checkpoint to continue live from and the scope\'s checksum. A stream that ends without `end`, or with an `error` frame, must be discarded. Refusals come before the stream, as plain HTTP answers. The data center runs a bounded number of exports at once (`--snapshot-limit`, default 4): a further request is answered at once `503` `unavailable` with `Retry-After` (retry with backoff), and an export whose client has read nothing for the stall timeout (`--snapshot-stall-seconds`, default 30) is cut: its stream ends without `end`.',
      access: { kind: 'account' },
      query: {
        schema: SnapshotExportQuery,
        descriptions: {
          scope: scopeText,
          columns:
            'The client\'s extraction version (`EXTRACTION_VERSION`, src/core/sync/extraction.ts). When given, `begin.columns` repeats it and each row whose stored extracted columns were computed by that version carries them as `"c":[…]` between `v` and `row`; without it the frames are exactly those of a client that never asked.',
        },
      },
      responses: {
        '200': {
          description: 'NDJSON: each line is one `SnapshotFrame` (the schema below describes one line).',
          content: { 'application/x-ndjson': { name: 'SnapshotFrame', schema: SnapshotFrame } },
          headers: ['Cache-Control'],
        },
      },
      errors: [400, 401, 403, 503],
    },
    {
      method: 'get',
      path: '/api/v1/sync/image',
      operationId: 'syncImage',
      tags: ['sync'],
      summary: 'A ready-made SQLite replica of a scope (replica image)',
      description: `A SQLite file an image keeper built next to the data center (docs/image-keeper.md): the scope's replicated tables with their indexes, the full-text index and the sync state, for a desktop to switch in whole instead of taking the row snapshot; it then tails the live feed from the image's cursor. \`200\` streams the file (\`${IMAGE_CONTENT_TYPE}\`, \`Content-Length\`) with \`${IMAGE_HEADERS.sha256}\` (hex SHA-256 of the file), \`${IMAGE_HEADERS.scope}\`, \`${IMAGE_HEADERS.cursor}\` (\`<epoch>:<v>\`, the cursor its rows are at) and \`${IMAGE_HEADERS.schema}\`. \`404\` \`not_found\` with \`details.reason: no_image\` (and \`details.why\`) when the data center has no keeper folder (\`--images\`), no image of that scope, schema and page size, or its image could not continue live (another epoch, older than the retained change log, beyond the head) or is damaged: take the row snapshot.`,
      access: { kind: 'account' },
      query: {
        schema: ImageQuery,
        descriptions: {
          scope: scopeText,
          schema: 'The client\'s replica schema: `<number of migrations>-<name of the last one>` (replicaSchemaIdOf, src/core/sync/image.ts). An image of another schema is not served.',
          pageSize: 'The client\'s replica page size in bytes (a power of two, 512–65536): an image of another page size cannot be switched in and is not served.',
        },
      },
      responses: {
        '200': {
          description: 'The image file, whole.',
          content: { [IMAGE_CONTENT_TYPE]: { json: { type: 'string', format: 'binary', description: 'A SQLite database file (rollback-journal mode, one file).' } } },
          headers: ['Cache-Control'],
        },
      },
      errors: [400, 401, 403, 404],
    },
    {
      method: 'get',
      path: '/api/v1/sync/live',
      operationId: 'syncLiveWebSocket',
      tags: ['sync'],
      summary: 'Live change batches over a WebSocket',
      description:
        'A WebSocket: send `GET` with `Connection: Upgrade` and `Upgrade: websocket`. Every check (auth, scope, epoch, cursor) runs before the upgrade, so a refusal is a plain HTTP answer (401/403/409 `must_refetch`). After the upgrade the server sends one `LiveFrame` per text message: `batch` `{ from, ops, checkpoint, acks }` (apply all ops and set the cursor to `checkpoint` in one transaction, only if `from` equals the cursor), `heartbeat`, `checksum`, `must_refetch` (re-snapshot; the socket closes) and `error`. The client sends nothing. Browsers may pass the access token as `?access_token=`.',
      access: { kind: 'websocket' },
      query: { schema: LiveQuery, descriptions: liveDescriptions },
      headerParams: {
        Upgrade: { schema: z.literal('websocket'), description: 'The WebSocket upgrade (RFC 6455).', required: true },
        Connection: { schema: z.string(), description: '`Upgrade`.', required: true },
      },
      responses: {
        '101': {
          description: 'Switching protocols: the WebSocket is open; each text message is one `LiveFrame` (see `x-huying-websocket-messages`).',
          extensions: { 'x-huying-websocket-messages': liveFrameRef },
        },
        '404': { description: 'A plain GET without the upgrade.' },
      },
      errors: [400, 401, 403, 409],
      // LiveFrame is referenced by the WebSocket extension: register it through the SSE/long-poll operation below
    },
    {
      method: 'get',
      path: '/api/v1/sync/changes',
      operationId: 'syncChanges',
      tags: ['sync'],
      summary: 'Live change batches over SSE, or one batch by long-poll',
      description:
        'With `Accept: text/event-stream`: Server-Sent Events, each event `data: <LiveFrame JSON>`, the same frames as the WebSocket. Otherwise a long-poll: one `LiveFrame` as JSON — a `batch` at once when the cursor is behind, else the first batch within `wait` seconds, else a `heartbeat`. A cursor that cannot continue is 409 `must_refetch` before anything is sent.',
      access: { kind: 'account' },
      query: { schema: LiveQuery, descriptions: liveDescriptions },
      headerParams: { Accept: { schema: z.string(), description: '`text/event-stream` for SSE; anything else for the long-poll.' } },
      responses: {
        '200': {
          description: 'SSE: a stream of `data:` events, each one `LiveFrame`. Long-poll: one `LiveFrame`.',
          content: {
            'text/event-stream': { json: { type: 'string', description: 'Server-Sent Events: `data: <LiveFrame as JSON>` followed by a blank line, per frame.' } },
            'application/json': { name: 'LiveFrame', schema: LiveFrame },
          },
          headers: ['Cache-Control'],
        },
      },
      errors: [400, 401, 403, 409],
    },
    {
      method: 'get',
      path: '/api/v1/sync/checksum',
      operationId: 'syncChecksum',
      tags: ['sync'],
      summary: 'Checksum of a scope at the head',
      description: 'Per replicated table, the row count and the sum of the rows\' versions a client of the scope holds (debugging drift; one statement, one consistent read).',
      access: { kind: 'account' },
      query: { schema: SnapshotQuery, descriptions: { scope: scopeText } },
      responses: { '200': { description: 'The checksum.', content: { 'application/json': { name: 'ScopeChecksum', schema: ScopeChecksum } }, headers: ['Cache-Control'] } },
      errors: [400, 401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/sync/epoch',
      operationId: 'syncBumpEpoch',
      tags: ['sync', 'admin'],
      summary: 'Start a new epoch: every client re-snapshots',
      description: 'After restoring a backup or editing replicated data by hand. Every live client gets `must_refetch: epoch` and its stream closes.',
      access: { kind: 'account', roles: ['admin'] },
      responses: { '200': { description: 'The new epoch.', content: { 'application/json': { name: 'BumpEpochResponse', schema: BumpEpochResponse } } } },
      errors: [401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/commands',
      operationId: 'pushCommands',
      tags: ['commands'],
      summary: 'Push workstation commands (the outbox)',
      description:
        '`mutationId`s are positive and strictly increasing per client. For each mutation, in order: one already stored answers the stored result with `duplicate: true`; an unknown one at or below the client\'s last processed id is refused (`conflict`, `details.reason: stale_mutation_id`, `v: 0`) without being stored; any other runs as ONE replicated write — applied, or rejected with the workflow\'s stable code (the rejection is stored and takes its version, so the queue moves on). A mutation that fails its schema is a stored rejection `invalid_args`, not a refused push. Confirmation is the ack in the live feed. A transient database failure answers 503 for the whole push: push again.',
      access: { kind: 'account' },
      body: { content: { 'application/json': { name: 'CommandsRequest', schema: CommandsRequest } } },
      responses: { '200': { description: 'One result per pushed mutation, in order.', content: { 'application/json': { name: 'CommandsResponse', schema: CommandsResponse } }, headers: ['Cache-Control'] } },
      errors: [400, 401, 503],
    },
  ];
}
