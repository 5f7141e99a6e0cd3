/**
 * HTTP routes of the intake, as one fastify plugin registered by `registerIntakeRoutes`:
 *
 * - `POST /api/v1/intake/{source}`, one route per source so the API-key hook (`requireApiKey`,
 *   from the auth module) knows which system is calling;
 * - the quarantine admin routes under `/api/v1/admin/quarantine` (behind `requireAdmin`);
 * - Open311 GeoReport v2 under `/open311/v2` (open311-routes.ts).
 *
 * The plugin reads bodies as text itself (its own content-type parser, scoped to the plugin) so
 * that a body fastify would refuse — broken JSON, a form, an unknown type — still reaches the
 * quarantine verbatim instead of dying in a framework 400. Responses are `{ ok, value }` /
 * `{ ok: false, error }` (src/core/errors.ts); a refused payload also carries `quarantineId`
 * (and the `x-quarantine-id` header) so the sender can quote it to the data center's admin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import { HuyingError, fieldErrors, toRpcError, type ErrorCode, type FieldError, type RpcError } from '../../core/errors';
import { decodeBody, type RawBody } from './body';
import { IntakeSourceName } from './draft';
import { registerOpen311Routes, type Open311Deps } from './open311-routes';
import type { IntakeOutcome, IntakeService } from './service';
import { QUARANTINE_STATUSES } from '../store/intake-schema';

/** A fastify preHandler (or several), as the auth module hands them out. */
export type PreHandler = NonNullable<RouteShorthandOptions['preHandler']>;

export interface IntakeRouteDeps {
  service: IntakeService;
  /**
   * Auth hook for source systems (the auth module's `requireApiKey(source)`): a fastify preHandler
   * per intake route. Absent: the routes are open (tests, or a lead wiring auth later).
   * `request.body` is the raw text at that point; Open311 clients put `api_key` in the body or the
   * query (see `open311ApiKey`).
   */
  requireApiKey?: (source: IntakeSourceName) => PreHandler;
  /** Auth hook for the quarantine admin routes (role admin). Absent: open. */
  requireAdmin?: PreHandler;
  /** Who replays or discards, for the quarantine row (e.g. the account id the auth hook put on the request). */
  actorOf?: (request: FastifyRequest) => string | null;
  /** Open311 GeoReport v2; absent: no /open311 routes */
  open311?: Omit<Open311Deps, 'service' | 'requireApiKey'>;
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  invalid_args: 400,
  unauthenticated: 401,
  forbidden: 403,
  forbidden_sender: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

/** The raw body of a request (the plugin's parser leaves it a string). */
export function rawBodyOf(request: FastifyRequest): RawBody {
  const body = request.body;
  return { text: typeof body === 'string' ? body : body === undefined || body === null ? '' : JSON.stringify(body), contentType: request.headers['content-type'] ?? null };
}

/** The `value` of a 201 (created) answer. */
function createdValue(outcome: Extract<IntakeOutcome, { kind: 'created' }>) {
  return {
    eventId: outcome.eventId,
    caseNo: outcome.caseNo,
    duplicate: false as const,
    outsideDistrict: outcome.placement.outsideDistrict,
    placement: { method: outcome.placement.method, ...outcome.placement.area },
    duplicateCandidates: outcome.duplicateCandidates,
  };
}

export function sendOutcome(reply: FastifyReply, outcome: IntakeOutcome): FastifyReply {
  switch (outcome.kind) {
    case 'created':
      return reply.code(201).send({ ok: true, value: createdValue(outcome) });
    case 'duplicate':
      return reply.code(200).send({ ok: true, value: { eventId: outcome.eventId, caseNo: outcome.caseNo, duplicate: true } });
    case 'invalid':
      return reply.code(outcome.status).header('x-quarantine-id', outcome.quarantineId).send({ ok: false, error: outcome.error, quarantineId: outcome.quarantineId });
  }
}

/** The most payloads one bulk request may carry. */
export const BULK_MAX_ITEMS = 1000;

/** The envelope of `POST /api/v1/intake/{source}/bulk`: the source's payloads, each as it would be POSTed alone. */
export const BulkIntakeBody = z.object({ items: z.array(z.unknown()).min(1).max(BULK_MAX_ITEMS) }).strict();

/** What became of one payload of a bulk request (`status`: what the single POST would have answered). */
export type BulkItemAnswer =
  | { index: number; result: 'created'; status: 201; value: ReturnType<typeof createdValue> }
  | { index: number; result: 'duplicate'; status: 200; value: { eventId: string; caseNo: string; duplicate: true } }
  | { index: number; result: 'rejected'; status: 400 | 415; error: RpcError; quarantineId: string }
  | { index: number; result: 'failed'; status: number; error: RpcError };

/** The `value` of a bulk answer: counts per result, then one answer per payload, in the order sent. */
export interface BulkIntakeValue {
  created: number;
  duplicates: number;
  rejected: number;
  failed: number;
  items: BulkItemAnswer[];
}

export const QuarantineListQuery = z.object({
  status: z.enum(QUARANTINE_STATUSES).optional(),
  source: z.string().min(1).max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).optional(),
});

export const ReplayBody = z
  .object({
    /** the corrected payload: an object (sent as JSON) or the body text */
    payload: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()]).optional(),
    /** content type of a text payload (default: the original's) */
    contentType: z.string().min(1).max(200).optional(),
  })
  .strict();

export const DiscardBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();

/** The payloads of a bulk body, or why it is not one (field errors, for the quarantine). */
function bulkEnvelope(body: RawBody): { ok: true; items: unknown[] } | { ok: false; status: 400 | 415; errors: FieldError[] } {
  const decoded = decodeBody(body);
  if (!decoded.ok) return { ok: false, status: decoded.status, errors: decoded.errors };
  const parsed = BulkIntakeBody.safeParse(decoded.value);
  if (!parsed.success) return { ok: false, status: 400, errors: fieldErrors(parsed.error) };
  return { ok: true, items: parsed.data.items };
}

function parseJsonBody<T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> {
  const { text } = rawBodyOf(request);
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new HuyingError('invalid_args', `not valid JSON: ${(err as Error).message}`, [{ field: '(body)', message: 'not valid JSON' }]);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HuyingError('invalid_args', 'invalid request', fieldErrors(parsed.error));
  return parsed.data;
}

function parseQuery<T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> {
  const parsed = schema.safeParse(request.query ?? {});
  if (!parsed.success) throw new HuyingError('invalid_args', 'invalid query', fieldErrors(parsed.error));
  return parsed.data;
}

export function registerIntakeRoutes(app: FastifyInstance, deps: IntakeRouteDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((err, request, reply) => {
      const fe = err as { statusCode?: number };
      const rpc = err instanceof HuyingError || err instanceof z.ZodError ? toRpcError(err) : null;
      if (rpc) return reply.code(STATUS_OF[rpc.code] ?? 400).send({ ok: false, error: rpc });
      if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return reply.code(fe.statusCode).send({ ok: false, error: { code: 'invalid_args', message: (err as Error).message } });
      }
      request.log.error({ err }, 'intake request failed');
      return reply.code(500).send({ ok: false, error: { code: 'internal', message: `internal error (request ${request.id})` } });
    });

    for (const source of IntakeSourceName.options) {
      const preHandler = deps.requireApiKey?.(source);
      scope.post(`/api/v1/intake/${source}`, preHandler ? { preHandler } : {}, async (request, reply) => {
        const outcome = await deps.service.submit(source, rawBodyOf(request), { remoteAddress: request.ip });
        return sendOutcome(reply, outcome);
      });
      scope.post(`/api/v1/intake/${source}/bulk`, preHandler ? { preHandler } : {}, async (request, reply) => {
        const body = rawBodyOf(request);
        const meta = { remoteAddress: request.ip };
        const envelope = bulkEnvelope(body);
        if (!envelope.ok) {
          // a body that is not a list of payloads is kept whole, like any refused payload
          return sendOutcome(reply, await deps.service.refuse(source, body, envelope.status, envelope.errors, meta));
        }
        const results = await deps.service.submitMany(
          source,
          envelope.items.map((item) => ({ body: { text: JSON.stringify(item) ?? 'null', contentType: 'application/json' }, meta })),
        );
        const items: BulkItemAnswer[] = results.map((r, index) => {
          if (!r.ok) {
            const rpc = r.error instanceof HuyingError || r.error instanceof z.ZodError ? toRpcError(r.error) : null;
            if (!rpc) request.log.error({ err: r.error, index }, 'bulk intake item failed');
            const error = rpc ?? { code: 'internal' as const, message: `internal error (request ${request.id}, item ${index})` };
            return { index, result: 'failed', status: STATUS_OF[error.code] ?? 500, error };
          }
          const o = r.outcome;
          if (o.kind === 'created') return { index, result: 'created', status: 201, value: createdValue(o) };
          if (o.kind === 'duplicate') return { index, result: 'duplicate', status: 200, value: { eventId: o.eventId, caseNo: o.caseNo, duplicate: true } };
          return { index, result: 'rejected', status: o.status, error: o.error, quarantineId: o.quarantineId };
        });
        const count = (result: BulkItemAnswer['result']) => items.filter((x) => x.result === result).length;
        const value: BulkIntakeValue = { created: count('created'), duplicates: count('duplicate'), rejected: count('rejected'), failed: count('failed'), items };
        return reply.code(200).send({ ok: true, value });
      });
    }

    const admin = deps.requireAdmin ? { preHandler: deps.requireAdmin } : {};
    const actor = (request: FastifyRequest) => deps.actorOf?.(request) ?? null;

    scope.get('/api/v1/admin/quarantine', admin, async (request) => {
      const q = parseQuery(QuarantineListQuery, request);
      return { ok: true, value: await deps.service.listQuarantine(q) };
    });

    scope.get<{ Params: { id: string } }>('/api/v1/admin/quarantine/:id', admin, async (request) => {
      const record = await deps.service.getQuarantine(request.params.id);
      if (!record) throw new HuyingError('not_found', `no quarantined payload ${request.params.id}`);
      return { ok: true, value: record };
    });

    scope.post<{ Params: { id: string } }>('/api/v1/admin/quarantine/:id/replay', admin, async (request, reply) => {
      const body = parseJsonBody(ReplayBody, request);
      let fix: RawBody | null = null;
      if (body.payload !== undefined) {
        fix =
          typeof body.payload === 'string'
            ? { text: body.payload, contentType: body.contentType ?? (await deps.service.getQuarantine(request.params.id))?.contentType ?? 'application/json' }
            : { text: JSON.stringify(body.payload), contentType: 'application/json' };
      }
      const outcome = await deps.service.replay(request.params.id, fix, actor(request));
      return sendOutcome(reply, outcome);
    });

    scope.post<{ Params: { id: string } }>('/api/v1/admin/quarantine/:id/discard', admin, async (request) => {
      const body = parseJsonBody(DiscardBody, request);
      return { ok: true, value: await deps.service.discard(request.params.id, body.reason ?? null, actor(request)) };
    });

    if (deps.open311) {
      const requireApiKey = deps.requireApiKey?.('open311');
      registerOpen311Routes(scope, { ...deps.open311, service: deps.service, ...(requireApiKey ? { requireApiKey } : {}) });
    }
  });
}
