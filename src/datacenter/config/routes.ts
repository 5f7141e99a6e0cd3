/**
 * Admin API of the domain configuration (issue 3, "editable configuration with an import path"):
 *
 * | method and path | what |
 * |---|---|
 * | `GET /api/v1/admin/config` | the four documents' versions, and the problems of the stored set against today's units |
 * | `GET /api/v1/admin/config/{name}` | one document (`calendar`, `taxonomy`, `responsibility`, `workflow`) with its version; `ETag: "<v>"` |
 * | `PUT /api/v1/admin/config/{name}` | replace it; the body is the document; `If-Match: "<v>"` guards against a concurrent edit |
 * | `POST /api/v1/admin/config/import` | `{ calendar?, taxonomy?, responsibility?, workflow? }`: several documents at once, all or none |
 *
 * `?dryRun=true` validates without writing. Bad data → 400 `invalid_args` with every field error
 * (`responsibility:entries.4.leadUnitId: unknown unit dept-xx`), a moved version → 409 `conflict`;
 * in both cases nothing is written. Accepted documents reach the desktops through the sync feed
 * (table `config`).
 */
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import { HuyingError } from '../../core/errors';
import type { Actor } from '../../core/workflow/roles';
import { CONFIG_DOCUMENTS, type ConfigDocumentName } from '../store/events-schema';
import type { ConfigDocuments } from './bundled';
import { isConfigDocumentName, type DomainConfigService } from './service';

export type PreHandler = NonNullable<RouteShorthandOptions['preHandler']>;

export interface ConfigRoutesDeps {
  config: DomainConfigService;
  /** auth hook: role admin; absent: open */
  requireAdmin?: PreHandler;
  actorOf?: (request: FastifyRequest) => Actor | null;
}

export const DryRun = z.object({ dryRun: z.enum(['true', 'false', '1', '0']).optional() });
export const ImportBody = z
  .object(Object.fromEntries(CONFIG_DOCUMENTS.map((n) => [n, z.unknown().optional()])) as Record<ConfigDocumentName, z.ZodOptional<z.ZodUnknown>>)
  .strict();

function documentName(name: string): ConfigDocumentName {
  if (!isConfigDocumentName(name)) {
    throw new HuyingError('not_found', `no configuration document ${name}`, [{ field: 'name', message: `one of ${CONFIG_DOCUMENTS.join(', ')}` }]);
  }
  return name;
}

/** The version an `If-Match: "12"` header asks for, or undefined. */
function ifMatch(request: FastifyRequest): number | undefined {
  const h = request.headers['if-match'];
  if (h === undefined || h === '*') return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(String(h).trim());
  if (!m) throw new HuyingError('invalid_args', 'If-Match must be a version tag such as "12"', [{ field: 'If-Match', message: 'expected "<version>"' }]);
  return Number(m[1]);
}

export function registerConfigRoutes(app: FastifyInstance, deps: ConfigRoutesDeps): void {
  const opts = deps.requireAdmin ? { preHandler: deps.requireAdmin } : {};
  const by = (request: FastifyRequest) => deps.actorOf?.(request)?.id ?? 'anonymous';
  const dry = (request: FastifyRequest) => ['true', '1'].includes(DryRun.parse(request.query ?? {}).dryRun ?? '');

  app.get('/api/v1/admin/config', opts, async () => ({ ok: true, value: await deps.config.list() }));

  app.get<{ Params: { name: string } }>('/api/v1/admin/config/:name', opts, async (request, reply) => {
    const doc = await deps.config.get(documentName(request.params.name));
    if (!doc) throw new HuyingError('not_found', `configuration document ${request.params.name} is not loaded`);
    reply.header('etag', `"${doc.v}"`).header('cache-control', 'no-store');
    return { ok: true, value: doc };
  });

  app.put<{ Params: { name: string } }>('/api/v1/admin/config/:name', opts, async (request) => {
    const name = documentName(request.params.name);
    if (request.body === undefined || request.body === null) throw new HuyingError('invalid_args', 'the body must be the document', [{ field: '(body)', message: 'missing' }]);
    const expected = ifMatch(request);
    const documents = await deps.config.replace({ [name]: request.body } as Partial<ConfigDocuments>, {
      by: by(request),
      dryRun: dry(request),
      ...(expected !== undefined ? { expectedVersions: { [name]: expected } } : {}),
    });
    return { ok: true, value: { dryRun: dry(request), documents } };
  });

  app.post('/api/v1/admin/config/import', opts, async (request) => {
    const body = ImportBody.parse(request.body ?? {});
    const documents = await deps.config.replace(body as Partial<ConfigDocuments>, { by: by(request), dryRun: dry(request) });
    return { ok: true, value: { dryRun: dry(request), documents } };
  });
}
