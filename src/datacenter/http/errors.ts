/**
 * Errors leave the data center as data, `{ ok: false, error: { code, message } }`
 * (src/core/errors.ts), with the HTTP status that matches the code. Anything
 * unexpected becomes `internal` with a request id to find it in the logs; SQL
 * and stack traces never reach the client.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HuyingError, toRpcError, type ErrorCode, type RpcError } from '../../core';

/**
 * Status per error code. Codes missing here (added to core later) answer 400 —
 * a request the server refused — until they get their own line.
 */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_args: 400,
  invalid_command: 400,
  missing_reason: 400,
  invalid_target: 400,
  unauthenticated: 401,
  forbidden: 403,
  forbidden_sender: 403,
  forbidden_role: 403,
  out_of_scope: 403,
  not_assigned_unit: 403,
  not_lead_unit: 403,
  not_found: 404,
  unknown_method: 404,
  conflict: 409,
  rate_limited: 429,
  must_refetch: 409,
  illegal_transition: 409,
  deadline_passed: 409,
  extension_pending: 409,
  no_pending_extension: 409,
  bounce_not_allowed: 409,
  check_required: 409,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 400;
}

export interface ErrorBody {
  ok: false;
  error: RpcError;
}

export function errorBody(error: RpcError): ErrorBody {
  return { ok: false, error };
}

/** node-postgres / PGlite errors that mean "the database is not there", not "the request was bad" */
function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('08');
}

/** Maps anything thrown in a handler to a status and an error body. */
export function classify(err: unknown, requestId: string): { status: number; body: ErrorBody; log: boolean } {
  if (err instanceof HuyingError || err instanceof z.ZodError) {
    const error = toRpcError(err);
    const status = httpStatusOf(error.code);
    return { status, body: errorBody(error), log: status >= 500 };
  }
  if (isDatabaseUnavailable(err)) {
    return { status: 503, body: errorBody({ code: 'unavailable', message: 'the database is unavailable' }), log: true };
  }
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // fastify's own request errors: bad JSON, unsupported media type, body too large, …
    return { status: fe.statusCode, body: errorBody({ code: 'invalid_args', message: fe.message ?? 'bad request' }), log: false };
  }
  return {
    status: 500,
    body: errorBody({ code: 'internal', message: `internal error (request ${requestId})`, details: { requestId } }),
    log: true,
  };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const { status, body, log } = classify(err, request.id);
    if (log) request.log.error({ err }, 'request failed');
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send(errorBody({ code: 'not_found', message: `no such route: ${request.method} ${request.url.split('?')[0]}` })),
  );
}
