/**
 * The OpenAPI document against the data center that serves it (startDataCenter on in-memory
 * PGlite with the demo seed and the simulator, so every route module is registered):
 *
 * - coverage both ways: every route fastify registers (collected with an `onRoute` hook on the
 *   real app) is an operation of the document, and every operation is a registered route — a
 *   route added without its operation fails here;
 * - structure: OpenAPI 3.1, every `$ref` resolves, operationIds are unique, every operation has
 *   responses, security and tags are declared, path parameters match the path, every component
 *   schema compiles as JSON Schema 2020-12;
 * - truth: real answers of the running server (JSON, NDJSON, Open311, errors) validate against
 *   the schemas the document gives for their status and media type;
 * - the demo credentials appear in descriptions only.
 *
 * JSON Schema validation uses ajv 8 and ajv-formats, which fastify already depends on.
 */
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type * as FastifyModule from 'fastify';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_PASSWORD, demoApiKey } from '../../../src/datacenter/auth';
import { buildOpenApiDocument, type OpenApiDocument } from '../../../src/datacenter/http/openapi';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { GRID_A, HARNESS_TIMEOUT_MS, hotlineOrder } from './events-fixtures';

/** Every route any fastify app of this test registers, as fastify saw it. */
const registered = vi.hoisted(() => [] as { method: string; url: string }[]);

vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<typeof FastifyModule>();
  const factory = ((opts?: object) => {
    const app = actual.default(opts as never);
    app.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) registered.push({ method: String(method).toUpperCase(), url: route.url });
    });
    return app;
  }) as unknown as typeof actual.default;
  return { ...actual, default: factory, fastify: factory };
});

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `/api/v1/users/:id` → `/api/v1/users/{id}` */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The operations of a document as `METHOD path`. */
function documented(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`));
}

/** Registered routes as `METHOD path`, without the HEAD routes fastify adds beside every GET. */
function routesOf(routes: readonly { method: string; url: string }[]): string[] {
  const all = new Set(routes.map((r) => `${r.method} ${openApiPath(r.url)}`));
  return [...all].filter((r) => !(r.startsWith('HEAD ') && all.has(`GET ${r.slice(5)}`))).sort();
}

const undocumented = (routes: string[], doc: OpenApiDocument) => routes.filter((r) => !documented(doc).includes(r));

/** Resolves a local JSON pointer (`#/a/b~1c`). */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = (at as Json)[key];
  }
  return at;
}

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** Every string of a document with the path of keys that leads to it. */
function strings(value: unknown, path: string[] = [], out: { path: string[]; text: string }[] = []): { path: string[]; text: string }[] {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, String(i)], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

const pointer = (...parts: string[]) => `#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

describe('OpenAPI document of the data center', () => {
  let dc: DataCenter;
  let doc: OpenApiDocument;
  let served: Response;
  const tokens: Record<string, string> = {};
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);

  beforeAll(async () => {
    dc = await startDataCenter({ port: 0, seed: 'demo', slaScheduler: false, simulate: { ratePerHour: 1, speed: 1, seed: 7 } });
    served = await fetch(`${dc.url}/api/v1/openapi.json`);
    doc = (await served.clone().json()) as OpenApiDocument;
    ajv.addSchema(doc as unknown as Json, 'openapi.json');
    for (const login of ['admin', 'duty']) {
      const res = await fetch(`${dc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password: DEMO_PASSWORD }) });
      tokens[login] = ((await res.json()) as { value: { accessToken: string } }).value.accessToken;
    }
  }, HARNESS_TIMEOUT_MS);
  afterAll(async () => {
    await dc?.close();
  });

  it('is served at /api/v1/openapi.json without credentials, and is the document the code builds', async () => {
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  it('documents every registered route, and nothing that is not one', () => {
    const routes = routesOf(registered);
    // the app really was observed: the routes of every module are there
    for (const r of ['GET /healthz', 'POST /api/v1/intake/hotline_12345', 'GET /open311/v2/requests/{id}.json', 'GET /api/v1/sync/live', 'POST /api/v1/commands', 'GET /api/v1/admin/simulator', 'DELETE /api/v1/admin/reference/workers/{id}']) {
      expect(routes).toContain(r);
    }
    expect(undocumented(routes, doc)).toEqual([]);
    expect(documented(doc).filter((op) => !routes.includes(op))).toEqual([]);
    // and the check bites: a route without an operation is reported
    expect(undocumented([...routes, 'GET /api/v1/not-documented'], doc)).toEqual(['GET /api/v1/not-documented']);
  });

  it('is well formed: references resolve, operations are complete and unique', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.filter((r) => resolvePointer(doc, r) === undefined)).toEqual([]);

    const tags = new Set(doc.tags.map((t) => t.name as string));
    expect([...tags].sort()).toEqual(['admin', 'auth', 'commands', 'config', 'events', 'health', 'intake', 'open311', 'reference', 'sync']);
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort();
      for (const method of METHODS) {
        const op = item[method] as Json | undefined;
        if (!op) continue;
        const where = `${method.toUpperCase()} ${path}`;
        ids.push(op.operationId as string);
        expect(op.operationId, where).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
        expect(Object.keys(op.responses as Json).length, where).toBeGreaterThan(0);
        expect(op.summary, where).toBeTruthy();
        for (const tag of op.tags as string[]) expect(tags.has(tag), `${where}: tag ${tag}`).toBe(true);
        expect(Array.isArray(op.security), `${where}: security stated`).toBe(true);
        for (const requirement of op.security as Json[]) for (const name of Object.keys(requirement)) expect(schemes.has(name), `${where}: ${name}`).toBe(true);
        const params = (op.parameters as Json[] | undefined) ?? [];
        expect(params.filter((p) => p.in === 'path').map((p) => p.name as string).sort(), where).toEqual(inPath);
        for (const p of params) expect(p.schema, `${where}: ${String(p.name)}`).toBeTruthy();
        for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
          expect(status, where).toMatch(/^([1-5]\d\d|default)$/);
          expect((response.$ref ?? response.description) !== undefined, `${where} ${status}`).toBe(true);
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(documented(doc).length);

    // every component schema is valid JSON Schema 2020-12 (ajv compiles it, references included)
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.compile({ $ref: `openapi.json${pointer('components', 'schemas', name)}` }), name).not.toThrow();
    }
  });

  it('names the demo accounts and keys in descriptions only', () => {
    const hits = strings(doc).filter((s) => s.text.includes(DEMO_PASSWORD) || s.text.includes('hyk_demo_'));
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.filter((h) => h.path.at(-1) !== 'description')).toEqual([]);
  });

  // ---- the document tells the truth about real answers --------------------------------------

  /** The schema the document gives for an answer (following a response $ref), as an ajv reference. */
  function schemaRef(method: string, path: string, status: number, media = 'application/json'): string {
    const op = doc.paths[path]?.[method.toLowerCase()] as Json | undefined;
    if (!op) throw new Error(`not documented: ${method} ${path}`);
    const responses = op.responses as Record<string, Json>;
    const key = String(status) in responses ? String(status) : 'default';
    let at = pointer('paths', path, method.toLowerCase(), 'responses', key);
    const response = responses[key]!;
    if (typeof response.$ref === 'string') at = response.$ref;
    const resolved = resolvePointer(doc, at) as Json;
    if (!resolved.content) throw new Error(`${method} ${path} ${status}: no body documented`);
    expect(Object.keys(resolved.content as Json), `${method} ${path} ${status}`).toContain(media);
    return `openapi.json${at}/content/${media.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`;
  }

  function expectDocumented(method: string, path: string, status: number, body: unknown, media = 'application/json'): void {
    const validate = ajv.compile({ $ref: schemaRef(method, path, status, media) });
    const ok = validate(body);
    expect(ok ? [] : validate.errors, `${method} ${path} ${status}: ${JSON.stringify(body).slice(0, 300)}`).toEqual([]);
  }

  /** Calls the running server; answers status, JSON body (or text) and headers. */
  async function call(method: string, url: string, opts: { as?: string; key?: string; body?: unknown; form?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.as) headers.authorization = `Bearer ${tokens[opts.as]}`;
    if (opts.key) headers['x-api-key'] = opts.key;
    let body: string | undefined;
    if (opts.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = opts.form;
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(`${dc.url}${url}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, text, json: type.includes('json') && text !== '' ? (JSON.parse(text) as Json) : null };
  }

  /** Calls, expects the status, and checks the body against the document. */
  async function check(method: string, template: string, url: string, status: number, opts: Parameters<typeof call>[2] = {}) {
    const res = await call(method, url, opts);
    expect(res.status, `${method} ${url}: ${res.text.slice(0, 300)}`).toBe(status);
    expectDocumented(method, template, status, res.json);
    return res;
  }

  it('health, reference reads and their revalidation', async () => {
    await check('GET', '/healthz', '/healthz', 200);
    // the check bites: an answer that lacks a documented field, or has one more, is caught
    expect(() => expectDocumented('GET', '/healthz', 200, { ok: true, status: 'ok' })).toThrow();
    const health = await call('GET', '/healthz');
    expect(() => expectDocumented('GET', '/healthz', 200, { ...health.json, extra: 1 })).toThrow();
    const version = await check('GET', '/api/v1/reference/version', '/api/v1/reference/version', 200);
    const notModified = await call('GET', '/api/v1/reference/version', { headers: { 'if-none-match': version.headers.get('etag')! } });
    expect(notModified.status).toBe(304);
    expect(Object.keys((doc.paths['/api/v1/reference/version']!.get as Json).responses as Json)).toContain('304');
    await check('GET', '/api/v1/units', '/api/v1/units', 200);
    await check('GET', '/api/v1/areas', '/api/v1/areas', 200);
    await check('GET', '/api/v1/grids', '/api/v1/grids?asOf=2025-11-26', 200);
    await check('GET', '/api/v1/grids', '/api/v1/grids?asOf=2025-02-30', 400);
    // an unknown route answers the error envelope the document describes as the default
    const missing = await call('GET', '/api/v1/no-such-route');
    expect(missing.status).toBe(404);
    expectDocumented('GET', '/healthz', 404, missing.json);
  });

  it('auth and the admin routes', async () => {
    await check('POST', '/api/v1/auth/login', '/api/v1/auth/login', 200, { body: { login: 'supervisor', password: DEMO_PASSWORD } });
    await check('POST', '/api/v1/auth/login', '/api/v1/auth/login', 401, { body: { login: 'supervisor', password: 'not-the-password' } });
    await check('POST', '/api/v1/auth/login', '/api/v1/auth/login', 400, { body: { login: '' } });
    await check('GET', '/api/v1/auth/me', '/api/v1/auth/me', 200, { as: 'duty' });
    await check('GET', '/api/v1/auth/me', '/api/v1/auth/me', 401);
    await check('GET', '/api/v1/admin/users', '/api/v1/admin/users', 200, { as: 'admin' });
    await check('GET', '/api/v1/admin/users', '/api/v1/admin/users', 403, { as: 'duty' });
    const made = await check('POST', '/api/v1/admin/users', '/api/v1/admin/users', 201, {
      as: 'admin',
      body: { login: 'openapi-check', displayName: '文档检查', role: 'wall_viewer', scope: { level: 'district', code: '440114' }, organisationId: 'district-440114', password: 'a long enough password' },
    });
    const id = (made.json!.value as Json).id as string;
    await check('GET', '/api/v1/admin/users/{id}', `/api/v1/admin/users/${id}`, 200, { as: 'admin' });
    await check('PATCH', '/api/v1/admin/users/{id}', `/api/v1/admin/users/${id}`, 200, { as: 'admin', body: { displayName: '文档检查 2' } });
    await check('GET', '/api/v1/admin/users/{id}', '/api/v1/admin/users/nobody', 404, { as: 'admin' });
    await check('GET', '/api/v1/admin/api-keys', '/api/v1/admin/api-keys', 200, { as: 'admin' });
    await check('POST', '/api/v1/admin/api-keys', '/api/v1/admin/api-keys', 201, { as: 'admin', body: { source: 'enterprise', name: 'openapi check' } });
    await check('GET', '/api/v1/admin/auth-audit', '/api/v1/admin/auth-audit?limit=5', 200, { as: 'admin' });
    await check('GET', '/api/v1/admin/reference/workers', `/api/v1/admin/reference/workers?villageCode=${GRID_A.villageCode}`, 200, { as: 'admin' });
    await check('POST', '/api/v1/admin/scheduler/run', '/api/v1/admin/scheduler/run', 200, { as: 'admin' });
    await check('GET', '/api/v1/admin/simulator', '/api/v1/admin/simulator', 200, { as: 'admin' });
    await check('GET', '/api/v1/admin/config', '/api/v1/admin/config', 200, { as: 'admin' });
    await check('GET', '/api/v1/admin/config/{name}', '/api/v1/admin/config/calendar', 200, { as: 'admin' });
  });

  it('intake, the quarantine and the events read routes', async () => {
    const order = hotlineOrder('OPENAPI-1', GRID_A);
    const created = await check('POST', '/api/v1/intake/hotline_12345', '/api/v1/intake/hotline_12345', 201, { key: demoApiKey('hotline_12345'), body: order });
    await check('POST', '/api/v1/intake/hotline_12345', '/api/v1/intake/hotline_12345', 200, { key: demoApiKey('hotline_12345'), body: order });
    await check('POST', '/api/v1/intake/hotline_12345', '/api/v1/intake/hotline_12345', 401, { body: order });
    const refused = await check('POST', '/api/v1/intake/hotline_12345', '/api/v1/intake/hotline_12345', 400, { key: demoApiKey('hotline_12345'), body: { orderNo: 'OPENAPI-2' } });
    const quarantineId = refused.json!.quarantineId as string;
    expect(refused.headers.get('x-quarantine-id')).toBe(quarantineId);

    await check('GET', '/api/v1/admin/quarantine', '/api/v1/admin/quarantine?status=pending', 200, { as: 'admin' });
    await check('GET', '/api/v1/admin/quarantine/{id}', `/api/v1/admin/quarantine/${quarantineId}`, 200, { as: 'admin' });
    await check('POST', '/api/v1/admin/quarantine/{id}/discard', `/api/v1/admin/quarantine/${quarantineId}/discard`, 200, { as: 'admin', body: { reason: 'test' } });
    await check('POST', '/api/v1/admin/quarantine/{id}/discard', `/api/v1/admin/quarantine/${quarantineId}/discard`, 409, { as: 'admin', body: {} });

    const eventId = (created.json!.value as Json).eventId as string;
    await check('GET', '/api/v1/events', '/api/v1/events?source=hotline_12345&limit=5', 200, { as: 'duty' });
    await check('GET', '/api/v1/events/{id}', `/api/v1/events/${eventId}`, 200, { as: 'duty' });
    await check('GET', '/api/v1/events/{id}', '/api/v1/events/no-such-event', 404, { as: 'duty' });
  });

  it('Open311 in its own formats', async () => {
    const services = await check('GET', '/open311/v2/services.json', '/open311/v2/services.json', 200);
    const code = (services.json as unknown as { service_code: string }[]).find((s) => s.service_code.length >= 4)!.service_code;
    const [lon, lat] = GRID_A.labelPoint;
    const form = new URLSearchParams({ api_key: demoApiKey('open311'), service_code: code, lat: String(lat), long: String(lon), description: '路灯不亮', 'attribute[POLE_NO]': 'TG-016' }).toString();
    const made = await check('POST', '/open311/v2/requests.json', '/open311/v2/requests.json', 201, { form });
    const id = (made.json as unknown as { service_request_id: string }[])[0]!.service_request_id;
    await check('POST', '/open311/v2/requests.json', '/open311/v2/requests.json', 400, { form: `api_key=${demoApiKey('open311')}&service_code=${code}&lat=${lat}` });
    await check('POST', '/open311/v2/requests.json', '/open311/v2/requests.json', 401, { form: `service_code=${code}` });
    await check('GET', '/open311/v2/requests.json', '/open311/v2/requests.json', 200);
    await check('GET', '/open311/v2/requests/{id}.json', `/open311/v2/requests/${id}.json`, 200);
    await check('GET', '/open311/v2/requests/{id}.json', '/open311/v2/requests/nothing.json', 404);
  });

  it('the sync feed (NDJSON snapshot, long-poll, refusals) and the command endpoint', async () => {
    const res = await fetch(`${dc.url}/api/v1/sync/snapshot?scope=district`, { headers: { authorization: `Bearer ${tokens.duty}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text()).split('\n').filter(Boolean);
    const validate = ajv.compile({ $ref: schemaRef('GET', '/api/v1/sync/snapshot', 200, 'application/x-ndjson') });
    for (const line of lines) expect(validate(JSON.parse(line)) ? [] : validate.errors, line.slice(0, 200)).toEqual([]);
    const end = JSON.parse(lines.at(-1)!) as { t: string; checkpoint: { epoch: string; v: number } };
    expect(end.t).toBe('end');

    await check('GET', '/api/v1/sync/snapshot', '/api/v1/sync/snapshot?scope=district', 401);
    await check('GET', '/api/v1/sync/snapshot', '/api/v1/sync/snapshot?scope=nowhere', 400, { as: 'duty' });
    await check('GET', '/api/v1/sync/checksum', '/api/v1/sync/checksum?scope=district', 200, { as: 'duty' });
    const { epoch, v } = end.checkpoint;
    await check('GET', '/api/v1/sync/changes', `/api/v1/sync/changes?scope=district&epoch=${epoch}&v=${v}&wait=0`, 200, { as: 'duty' });
    await check('GET', '/api/v1/sync/changes', `/api/v1/sync/changes?scope=district&epoch=${epoch}&v=0&wait=0`, 200, { as: 'duty' });
    await check('GET', '/api/v1/sync/changes', `/api/v1/sync/changes?scope=district&epoch=another-epoch&v=${v}`, 409, { as: 'duty' });
    // the WebSocket route without an upgrade answers as documented
    const plain = await call('GET', `/api/v1/sync/live?scope=district&epoch=${epoch}&v=${v}`, { as: 'duty' });
    expect(plain.status).toBe(404);
    expect(Object.keys((doc.paths['/api/v1/sync/live']!.get as Json).responses as Json)).toEqual(expect.arrayContaining(['101', '404', '409']));

    await check('POST', '/api/v1/commands', '/api/v1/commands', 200, {
      as: 'duty',
      body: { clientId: 'openapi-check', mutations: [{ mutationId: 1, createdAt: new Date().toISOString(), mutation: { name: 'event/command', eventId: 'no-such-event', command: { type: 'verify' } } }] },
    });
    await check('POST', '/api/v1/commands', '/api/v1/commands', 400, { as: 'duty', body: { clientId: 'openapi-check', mutations: [] } });
    await check('POST', '/api/v1/commands', '/api/v1/commands', 401, { body: { clientId: 'x', mutations: [] } });
  });
});
