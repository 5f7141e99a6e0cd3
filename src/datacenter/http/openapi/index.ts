/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of every endpoint of the data center
 * (document.ts), built on the first request and then served from memory. Public: it describes
 * the API, it grants nothing.
 *
 * ```ts
 * registerOpenApiRoute(app);   // in buildApp
 * ```
 */
import type { FastifyInstance } from 'fastify';
import { OPENAPI_PATH, openApiJson } from './document';

export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get(OPENAPI_PATH, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return reply.type('application/json; charset=utf-8').send(openApiJson());
  });
}

export { allOperations, buildOpenApiDocument, OPENAPI_PATH, type OpenApiDocument } from './document';
export type { OperationSpec } from './spec';
