/**
 * Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/), JSON format only:
 *
 * - `GET  /open311/v2/services.json` — the taxonomy as services (service_code = taxonomy code,
 *   group = its top category);
 * - `POST /open311/v2/requests.json` — a new request, form-encoded or JSON, through the same
 *   pipeline (and quarantine) as every intake; answers `[{ service_request_id, service_notice,
 *   account_id }]`;
 * - `GET  /open311/v2/requests.json` — filters service_request_id, service_code, start_date,
 *   end_date, status (open/closed); without ids and dates, the last 90 days, at most 1000;
 * - `GET  /open311/v2/requests/{id}.json`.
 *
 * Errors use Open311's format, `[{ code, description }]`, one entry per bad field, with the HTTP
 * status as the code. Only events from the sources in `publicSources` (default: open311) are
 * listed: residents see what the public reported, not hotline or police matters.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { EventRecord, EventSource } from '../../core/events/types';
import { HuyingError, type FieldError } from '../../core/errors';
import { isOpen } from '../../core/workflow/states';
import { decodeBody, type RawBody } from './body';
import type { EventReader } from './event-sink';
import { parseSourceInstant } from './fields';
import type { IntakeService } from './service';

export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  metadata: false;
  type: 'realtime';
  keywords: string;
  group: string;
}

export interface Open311Deps {
  service: IntakeService;
  reader: EventReader;
  services: readonly Open311Service[];
  /** sources whose events GET requests lists (default ['open311']) */
  publicSources?: readonly EventSource[];
  /** name of a unit for `agency_responsible` */
  unitName?: (unitId: string) => string | null;
  requireApiKey?: NonNullable<RouteShorthandOptions['preHandler']>;
  clock?: () => Date;
}

/** The structural part of a taxonomy document this needs (resources/config/taxonomy-*.json). */
export interface TaxonomyLikeNode {
  code: string;
  name: string;
  nameEn?: string;
  filingCondition?: string;
  children?: TaxonomyLikeNode[];
}

/** Every taxonomy node as a service, depth first, grouped by its top category. */
export function open311ServicesFromTaxonomy(categories: readonly TaxonomyLikeNode[]): Open311Service[] {
  const out: Open311Service[] = [];
  const walk = (nodes: readonly TaxonomyLikeNode[], group: string | null, inherited: string) => {
    for (const n of nodes) {
      const filing = n.filingCondition ?? inherited;
      out.push({
        service_code: n.code,
        service_name: n.name,
        description: filing,
        metadata: false,
        type: 'realtime',
        keywords: n.nameEn ?? '',
        group: group ?? n.name,
      });
      walk(n.children ?? [], group ?? n.name, filing);
    }
  };
  walk(categories, null, '');
  return out;
}

/** Services from a taxonomy file; an empty list when the file is absent or has no categories. */
export function loadOpen311Services(file: string): Open311Service[] {
  if (!existsSync(file)) return [];
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { categories?: unknown };
  if (!Array.isArray(doc.categories)) return [];
  return open311ServicesFromTaxonomy(doc.categories as TaxonomyLikeNode[]);
}

/** The `api_key` of an Open311 request: the query string, or the (raw) body. */
export function open311ApiKey(request: FastifyRequest): string | null {
  const q = (request.query ?? {}) as Record<string, unknown>;
  if (typeof q.api_key === 'string') return q.api_key;
  if (typeof request.body !== 'string') return null;
  const decoded = decodeBody({ text: request.body, contentType: request.headers['content-type'] ?? null });
  if (!decoded.ok || typeof decoded.value !== 'object' || decoded.value === null) return null;
  const key = (decoded.value as Record<string, unknown>).api_key;
  return typeof key === 'string' ? key : null;
}

class Open311Error extends Error {
  constructor(
    readonly status: number,
    readonly errors: { code: number; description: string }[],
  ) {
    super(errors.map((e) => e.description).join('; '));
  }
}

const fieldsToOpen311 = (status: number, errors: FieldError[]) => errors.map((e) => ({ code: status, description: `${e.field}: ${e.message}` }));

function sendOpen311Error(reply: FastifyReply, status: number, errors: { code: number; description: string }[]): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errors);
}

const DAY_MS = 86_400_000;

export function toOpen311Request(r: EventRecord, services: ReadonlyMap<string, Open311Service>, unitName?: (id: string) => string | null) {
  const code = r.workflow.categoryCode;
  const deadlines = r.workflow.clocks.filter((c) => c.stoppedAt === null).map((c) => c.baseDeadline);
  const expected = deadlines.sort()[0] ?? r.sourceDeadline ?? null;
  return {
    service_request_id: r.id,
    status: isOpen(r.workflow.status) ? 'open' : 'closed',
    status_notes: r.workflow.status,
    service_name: code ? (services.get(code)?.service_name ?? null) : null,
    service_code: code,
    description: r.description,
    agency_responsible: r.workflow.leadUnitId ? (unitName?.(r.workflow.leadUnitId) ?? r.workflow.leadUnitId) : null,
    service_notice: `案件编号 ${r.caseNo}`,
    requested_datetime: r.workflow.reportedAt,
    updated_datetime: r.workflow.updatedAt,
    expected_datetime: expected,
    address: r.address,
    address_id: null,
    zipcode: null,
    lat: r.location ? r.location[1] : null,
    long: r.location ? r.location[0] : null,
    media_url: r.attachments[0]?.url ?? null,
  };
}

function list(value: unknown): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
  return parts.length > 0 ? parts : undefined;
}

function instant(value: unknown, field: string, errors: FieldError[]): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const r = parseSourceInstant(String(value));
  if (r.ok) return new Date(r.iso);
  errors.push({ field, message: r.message });
  return undefined;
}

export function registerOpen311Routes(app: FastifyInstance, deps: Open311Deps): void {
  const clock = deps.clock ?? (() => new Date());
  const publicSources = deps.publicSources ?? ['open311'];
  const byCode = new Map(deps.services.map((s) => [s.service_code, s]));

  void app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply) => {
      if (err instanceof Open311Error) return sendOpen311Error(reply, err.status, err.errors);
      if (err instanceof HuyingError) {
        const status = err.code === 'not_found' ? 404 : err.code === 'unauthenticated' ? 401 : err.code === 'forbidden' ? 403 : err.code === 'conflict' ? 409 : err.code === 'invalid_args' ? 400 : 500;
        return sendOpen311Error(reply, status, [{ code: status, description: err.message }]);
      }
      const fe = err as { statusCode?: number };
      if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return sendOpen311Error(reply, fe.statusCode, [{ code: fe.statusCode, description: (err as Error).message }]);
      }
      request.log.error({ err }, 'open311 request failed');
      return sendOpen311Error(reply, 500, [{ code: 500, description: `internal error (request ${request.id})` }]);
    });

    scope.get('/open311/v2/services.json', async () => deps.services);

    scope.post('/open311/v2/requests.json', deps.requireApiKey ? { preHandler: deps.requireApiKey } : {}, async (request, reply) => {
      const raw: RawBody = { text: typeof request.body === 'string' ? request.body : '', contentType: request.headers['content-type'] ?? null };
      const outcome = await deps.service.submit('open311', raw, { remoteAddress: request.ip });
      if (outcome.kind === 'invalid') {
        reply.header('x-quarantine-id', outcome.quarantineId);
        throw new Open311Error(outcome.status, fieldsToOpen311(outcome.status, outcome.error.details));
      }
      const decoded = decodeBody(raw);
      const accountId = decoded.ok && typeof decoded.value === 'object' && decoded.value !== null ? (decoded.value as Record<string, unknown>).account_id : undefined;
      return reply.code(201).send([
        {
          service_request_id: outcome.eventId,
          service_notice: `已受理，案件编号 ${outcome.caseNo}`,
          account_id: typeof accountId === 'string' && accountId !== '' ? accountId : null,
        },
      ]);
    });

    scope.get('/open311/v2/requests.json', async (request) => {
      const q = (request.query ?? {}) as Record<string, unknown>;
      const errors: FieldError[] = [];
      const ids = list(q.service_request_id);
      const codes = list(q.service_code);
      const statuses = list(q.status);
      for (const s of statuses ?? []) if (s !== 'open' && s !== 'closed') errors.push({ field: 'status', message: `unknown status ${s}: open or closed` });
      let start = instant(q.start_date, 'start_date', errors);
      let end = instant(q.end_date, 'end_date', errors);
      if (start && end && start > end) errors.push({ field: 'end_date', message: 'end_date is before start_date' });
      if (errors.length > 0) throw new Open311Error(400, fieldsToOpen311(400, errors));
      if (!ids) {
        // the specification's default window: the last 90 days
        end ??= start ? new Date(start.getTime() + 90 * DAY_MS) : clock();
        start ??= new Date(end.getTime() - 90 * DAY_MS);
      }
      const open = statuses && statuses.length === 1 ? statuses[0] === 'open' : undefined;
      const records = await deps.reader.listEvents({
        ...(ids ? { ids } : {}),
        ...(codes ? { categoryCodes: codes } : {}),
        ...(start ? { reportedFrom: start } : {}),
        ...(end ? { reportedTo: end } : {}),
        ...(open !== undefined ? { open } : {}),
        sources: publicSources,
        limit: 1000,
      });
      return records.map((r) => toOpen311Request(r, byCode, deps.unitName));
    });

    scope.get<{ Params: { id: string } }>('/open311/v2/requests/:id.json', async (request) => {
      const r = await deps.reader.getEvent(request.params.id);
      if (!r || !publicSources.includes(r.source)) throw new Open311Error(404, [{ code: 404, description: `no service request ${request.params.id}` }]);
      return [toOpen311Request(r, byCode, deps.unitName)];
    });
  });
}
