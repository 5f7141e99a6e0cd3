/**
 * How the route modules' operations are described for the OpenAPI document: a small typed
 * description per operation (`OperationSpec`) that names the zod schemas it takes and answers,
 * and `toPathItem`, which turns it into OpenAPI 3.1 with the shared pieces — our answer envelope
 * `{ ok: true, value }`, the error envelope with its stable codes, the security schemes.
 *
 * The operations themselves are listed per area in operations-*.ts.
 */
import type { z } from 'zod';
import type { ErrorCode, Role } from '../../../core';
import { HTTP_STATUS } from '../errors';
import type { ComponentSchemas, JsonSchema } from './components';

export const TAGS = [
  { name: 'health', description: 'Liveness of the data center, and this document.' },
  { name: 'auth', description: 'Log in, refresh, log out; who am I. People use Bearer access tokens (docs/auth.md).' },
  { name: 'admin', description: 'Accounts, API keys, the auth audit, the intake quarantine, the SLA scheduler and the simulator: role `admin` only.' },
  { name: 'reference', description: 'Reference data (areas, grids, units, grid workers): reads with the reference version as ETag, and the admin import and edit routes.' },
  { name: 'intake', description: 'Events from source systems, one path per source, each with its own payload; API key per source (docs/intake.md).' },
  { name: 'open311', description: 'Open311 GeoReport v2 (JSON): services and service requests from the public, in the specification\'s own formats.' },
  { name: 'sync', description: 'The sync feed: snapshot, live batches (WebSocket, SSE, long-poll), checksums, the epoch (docs/sync-protocol.md).' },
  { name: 'commands', description: 'Workstation commands with `(clientId, mutationId)` idempotency (docs/sync-protocol.md, section 7).' },
  { name: 'events', description: 'Read access to events with their audit timeline, for admins and tools (docs/workflow-authority.md).' },
  { name: 'config', description: 'The domain configuration documents (calendar, taxonomy, responsibility matrix, workflow settings): role `admin`.' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call an operation. */
export type Access =
  /** anyone, no credentials */
  | { kind: 'public' }
  /** a person's access token (`Authorization: Bearer …`); `roles` absent: any role */
  | { kind: 'account'; roles?: readonly Role[] }
  /** a source system's API key for intake */
  | { kind: 'apiKey'; source: string }
  /** a WebSocket upgrade: Bearer, or `?access_token=` (browsers cannot set headers there) */
  | { kind: 'websocket' }
  /** the access token's session, or a refresh token in the body (logout) */
  | { kind: 'accountOrRefreshToken' };

/** A body or an answer: a registered zod schema, or a plain JSON Schema (text formats). */
export type Payload = { name: string; schema: z.ZodType } | { json: JsonSchema };

export interface ContentSpec {
  /** media type → payload; default `application/json` */
  [mediaType: string]: Payload;
}

export interface ResponseSpec {
  description: string;
  /** the body is `{ ok: true, value: <payload> }` (application/json) */
  ok?: Payload;
  /** any other body, as is */
  content?: ContentSpec;
  /** names of components.headers */
  headers?: readonly HeaderName[];
  /** extensions, e.g. the frames of a WebSocket */
  extensions?: Record<`x-${string}`, unknown>;
}

/** Error answers by HTTP status, each the error envelope with the codes of that status. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 415 | 429 | 503;

export type HeaderName = 'ETag' | 'Cache-Control' | 'Retry-After' | 'WWW-Authenticate' | 'X-Quarantine-Id';

export interface ParamSpec {
  schema: z.ZodType;
  description: string;
  required?: boolean;
}

export interface OperationSpec {
  method: Method;
  /** OpenAPI form, `{id}` for parameters */
  path: string;
  operationId: string;
  tags: readonly Tag[];
  summary: string;
  description?: string;
  access: Access;
  /** the query as the route parses it; one parameter per property */
  query?: { schema: z.ZodObject; descriptions?: Record<string, string> };
  /** extra query parameters the route reads itself (no schema object) */
  extraQuery?: Record<string, ParamSpec>;
  pathParams?: Record<string, ParamSpec>;
  headerParams?: Record<string, ParamSpec>;
  body?: { content: ContentSpec; required?: boolean; description?: string };
  /** answers by status (as a string, e.g. '200', '101') */
  responses: Record<string, ResponseSpec>;
  /** error answers in our envelope; `default` (500 `internal`, …) is always added */
  errors?: readonly ErrorStatus[];
  /** Open311 routes answer errors in Open311's format instead */
  open311Errors?: readonly number[];
  extensions?: Record<`x-${string}`, unknown>;
}

/** Codes by HTTP status, from the error handler's own table (src/datacenter/http/errors.ts). */
export function codesOfStatus(status: number): ErrorCode[] {
  return (Object.entries(HTTP_STATUS) as [ErrorCode, number][]).filter(([, s]) => s === status).map(([c]) => c);
}

const ERROR_RESPONSE_NAME: Record<ErrorStatus, string> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'Unavailable',
};

export const errorResponseRef = (status: ErrorStatus) => ({ $ref: `#/components/responses/${ERROR_RESPONSE_NAME[status]}` });

/** The shared error answers (components.responses), all in the error envelope. */
export function errorResponses(errorSchema: JsonSchema): Record<string, JsonSchema> {
  const body = (description: string, headers?: Record<string, JsonSchema>) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: errorSchema } },
  });
  const list = (status: number) =>
    codesOfStatus(status)
      .map((c) => `\`${c}\``)
      .join(', ');
  return {
    BadRequest: body(
      `The request was refused: ${list(400)}. \`invalid_args\` carries \`details: [{ field, message }]\` (FieldError), every bad field at once; a body fastify cannot parse (broken JSON, too large) is \`invalid_args\` too.`,
    ),
    Unauthenticated: body(
      `No valid credentials: \`unauthenticated\`, with \`details.reason\` (\`missing_token\`, \`invalid_token\`, \`token_expired\` — refresh and retry —, \`session_revoked\`, \`session_expired\`, \`account_disabled\`, \`bad_credentials\`, \`invalid_refresh_token\`, \`refresh_token_reused\`, \`refresh_token_expired\`, \`missing_api_key\`, \`invalid_api_key\`).`,
      { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
    ),
    Forbidden: body(
      `The caller may not do this: ${list(403)}. A route's role check answers \`forbidden\` with \`details: { role, allowed }\`; an API key of another source \`details.reason: wrong_source\`, without the scope \`missing_scope\`; an event outside the caller's area \`out_of_scope\`.`,
    ),
    NotFound: body(`No such thing: ${list(404)} (also any unknown path or method).`),
    Conflict: body(
      `The state does not allow it: ${list(409)}. The sync feed answers \`must_refetch\` with \`details: { reason: epoch | expired | ahead, epoch, v }\` when a cursor cannot continue: take a new snapshot.`,
    ),
    UnsupportedMediaType: body('The body is neither JSON nor form fields.'),
    TooManyRequests: body('`rate_limited`: login throttled; `details.retryAfterSeconds` and the `Retry-After` header say when to try again.', {
      'Retry-After': { $ref: '#/components/headers/Retry-After' },
    }),
    Unavailable: body(
      '`unavailable`: the database cannot be reached, a transient database failure (push the commands again), or no reference data is loaded yet.',
    ),
    Error: body(`Any other failure, in the same envelope; \`internal\` (500) carries a request id in the message and \`details.requestId\`. Status by code: ${statusTable()}.`),
  };
}

function statusTable(): string {
  return (Object.entries(HTTP_STATUS) as [ErrorCode, number][]).map(([c, s]) => `${c} ${s}`).join(', ');
}

export const HEADERS: Record<HeaderName, JsonSchema> = {
  ETag: { description: 'The version of what was answered, quoted, e.g. `"3f2a…"`; send it back in `If-None-Match` (or `If-Match` for configuration documents).', schema: { type: 'string' } },
  'Cache-Control': { description: '`no-store` on tokens and live data; `no-cache` on reference data (revalidate with the ETag).', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
  'WWW-Authenticate': { description: '`Bearer realm="huying"` (with `error="invalid_token"` when a token was sent), or `ApiKey realm="huying"` on intake routes.', schema: { type: 'string' } },
  'X-Quarantine-Id': { description: 'The quarantine row that keeps the refused payload: quote it to the data center\'s admin.', schema: { type: 'string' } },
};

export const SECURITY_SCHEMES: Record<string, JsonSchema> = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from `POST /api/v1/auth/login` (15 minutes; renew with `POST /api/v1/auth/refresh`). The requirement lists the roles the route admits (OpenAPI 3.1 role names); the workflow then checks role, area scope and state for every command.',
  },
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description:
      'A source system\'s API key (`hyk_…`), which belongs to exactly one intake source. Also accepted as `Authorization: ApiKey <key>` or `Authorization: Bearer hyk_…`. Made by an admin (`POST /api/v1/admin/api-keys`).',
  },
  open311ApiKey: {
    type: 'apiKey',
    in: 'query',
    name: 'api_key',
    description: 'Open311 clients may send the `open311` source\'s key as the `api_key` parameter, in the query or in the (form or JSON) body, as GeoReport v2 has it.',
  },
  accessTokenQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'An access token in the query, accepted only on the WebSocket upgrade of `/api/v1/sync/live` (browsers cannot set headers there).',
  },
};

export function securityOf(access: Access): JsonSchema[] {
  switch (access.kind) {
    case 'public':
      return [];
    case 'account':
      return [{ bearerAuth: [...(access.roles ?? [])] }];
    case 'apiKey':
      return access.source === 'open311' ? [{ apiKey: [] }, { open311ApiKey: [] }] : [{ apiKey: [] }];
    case 'websocket':
      return [{ bearerAuth: [] }, { accessTokenQuery: [] }];
    case 'accountOrRefreshToken':
      // the refresh token travels in the body: no credentials in the sense of a security scheme
      return [{ bearerAuth: [] }, {}];
  }
}

function accessText(access: Access): string {
  switch (access.kind) {
    case 'public':
      return 'Public: no credentials.';
    case 'account':
      return access.roles && access.roles.length > 0 ? `Needs an access token of role ${access.roles.map((r) => `\`${r}\``).join(' or ')}.` : 'Needs an access token (any role).';
    case 'apiKey':
      return `Needs the API key of source system \`${access.source}\`.`;
    case 'websocket':
      return 'Needs an access token: `Authorization: Bearer …`, or `?access_token=` on the upgrade.';
    case 'accountOrRefreshToken':
      return 'The access token\'s session, or the session of `{ refreshToken }` in the body.';
  }
}

/** The success envelope around a value. */
function okEnvelope(value: JsonSchema): JsonSchema {
  return { type: 'object', properties: { ok: { const: true }, value }, required: ['ok', 'value'], additionalProperties: false };
}

export function toOperation(op: OperationSpec, components: ComponentSchemas): JsonSchema {
  const payload = (p: Payload, io: 'input' | 'output'): JsonSchema => ('json' in p ? p.json : components.ref(p.name, p.schema, io));
  const content = (c: ContentSpec, io: 'input' | 'output') => Object.fromEntries(Object.entries(c).map(([type, p]) => [type, { schema: payload(p, io) }]));

  const parameters: JsonSchema[] = [];
  for (const [name, p] of Object.entries(op.pathParams ?? {})) {
    parameters.push({ name, in: 'path', required: true, description: p.description, schema: components.inline(p.schema, 'input') });
  }
  if (op.query) {
    const q = components.inline(op.query.schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const description = op.query.descriptions?.[name];
      parameters.push({
        name,
        in: 'query',
        required: (q.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema,
        // comma-separated lists: `status=filed,dispatched`
        ...(schema.type === 'array' ? { style: 'form', explode: false } : {}),
      });
    }
  }
  for (const [name, p] of Object.entries(op.extraQuery ?? {})) {
    parameters.push({ name, in: 'query', required: p.required ?? false, description: p.description, schema: components.inline(p.schema, 'input') });
  }
  for (const [name, p] of Object.entries(op.headerParams ?? {})) {
    parameters.push({ name, in: 'header', required: p.required ?? false, description: p.description, schema: components.inline(p.schema, 'input') });
  }

  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const body: Record<string, JsonSchema> = {};
    if (r.ok) body['application/json'] = { schema: okEnvelope(payload(r.ok, 'output')) };
    if (r.content) Object.assign(body, content(r.content, 'output'));
    responses[status] = {
      description: r.description,
      ...(r.headers && r.headers.length > 0 ? { headers: Object.fromEntries(r.headers.map((h) => [h, { $ref: `#/components/headers/${h}` }])) } : {}),
      ...(Object.keys(body).length > 0 ? { content: body } : {}),
      ...(r.extensions ?? {}),
    };
  }
  for (const status of op.errors ?? []) responses[String(status)] ??= errorResponseRef(status);
  if (op.open311Errors) {
    for (const status of op.open311Errors) responses[String(status)] ??= { $ref: '#/components/responses/Open311Error' };
    responses.default ??= { $ref: '#/components/responses/Open311Error' };
  } else {
    responses.default ??= { $ref: '#/components/responses/Error' };
  }

  return {
    operationId: op.operationId,
    tags: [...op.tags],
    summary: op.summary,
    description: [op.description, accessText(op.access)].filter(Boolean).join('\n\n'),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: op.body.required ?? true, ...(op.body.description ? { description: op.body.description } : {}), content: content(op.body.content, 'input') } }
      : {}),
    responses,
    security: securityOf(op.access),
    ...(op.extensions ?? {}),
  };
}
