/**
 * The OpenAPI 3.1 document of the data center: every operation of the route modules
 * (operations-*.ts), with the schemas converted from zod (components.ts), the error envelope
 * and its stable codes, the security schemes, and — in the description only — the demo
 * accounts and keys a demo-mode data center accepts. Nothing here enables anything.
 *
 * tests/integration/datacenter/openapi.test.ts starts a data center and checks that every route
 * it registers is here and everything here is a route, so a new route without its operation
 * fails the build.
 */
import type { z } from 'zod';
import { Actor, AreaScope, AuditEntry, CommandAck, Cursor, ErrorCode, EventRecord, LiveFrame, RpcErrorSchema, SyncOp, SyncScope, TaxonomyNode } from '../../../core';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, demoApiKey } from '../../auth/demo';
import { IntakeSourceName } from '../../intake/draft';
import { ComponentSchemas, type JsonSchema } from './components';
import { authOperations } from './operations-auth';
import { intakeOperations } from './operations-intake';
import { OPENAPI_PATH, publicOperations } from './operations-public';
import { syncOperations } from './operations-sync';
import { CONFIG_DOCUMENT_SCHEMAS, workflowOperations } from './operations-workflow';
import { ErrorResponse, FieldError, Open311Errors } from './shapes';
import { errorResponses, HEADERS, SECURITY_SCHEMES, TAGS, toOperation, type OperationSpec } from './spec';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: JsonSchema;
  servers?: JsonSchema[];
  tags: JsonSchema[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, JsonSchema>; headers: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

/** Every operation of the data center, in the order the document lists them. */
export function allOperations(): OperationSpec[] {
  return [...publicOperations(), ...authOperations(), ...intakeOperations(), ...syncOperations(), ...workflowOperations()];
}

function demoText(): string {
  const logins = DEMO_ACCOUNTS.map((a) => `\`${a.login}\` (${a.role}${a.scope === 'town' ? ', one town' : ''})`).join(', ');
  return [
    '**Trying it out (demo mode only).** A data center started with `--seed demo` on the demo district (the default of embedded PGlite) has one account per role and one API key per source system. These are examples for trying the API, not credentials of a real site: outside demo mode they are refused.',
    `- Accounts: ${logins}; password \`${DEMO_PASSWORD}\`.`,
    `- API keys: \`${demoApiKey('hotline_12345').replace('hotline_12345', '<source>')}\`, e.g. ${IntakeSourceName.options.map((s) => `\`${demoApiKey(s)}\``).join(', ')}.`,
  ].join('\n');
}

const DESCRIPTION = `The district data center of Huying (呼应): intake from the source systems, the five-step workflow with its SLA clocks and audit trail, and the sync feed every desktop replicates from. See docs/datacenter.md.

**Answers.** JSON routes answer \`{ "ok": true, "value": … }\`; errors are always \`{ "ok": false, "error": { "code", "message", "details"? } }\` with a stable \`code\` (schema \`ErrorCode\`) and the HTTP status that matches it. \`invalid_args\` lists every bad field in \`details: [{ field, message }]\`. Exceptions to the envelope, as their own protocols want: \`/healthz\`, the reference reads and the sync feed answer their documents bare (core's schemas); the snapshot is NDJSON, the live feed a WebSocket, SSE or long-poll; Open311 answers in GeoReport v2's formats, errors as \`[{ code, description }]\`.

**Credentials.** People send \`Authorization: Bearer <access token>\` (\`POST /api/v1/auth/login\`); source systems their API key (\`X-Api-Key\`). What a role may do to an event is decided again by the workflow for every command (role, area scope, state).`;

/** Builds the document (pure: the same code gives the same document). */
export function buildOpenApiDocument(): OpenApiDocument {
  const components = new ComponentSchemas();
  // shared schemas get their own names, so every body that contains them refers to one definition
  const shared: [string, z.ZodType][] = [
    ['ErrorCode', ErrorCode],
    ['RpcError', RpcErrorSchema],
    ['FieldError', FieldError],
    ['Actor', Actor],
    ['AreaScope', AreaScope],
    ['EventRecord', EventRecord],
    ['AuditEntry', AuditEntry],
    ['Cursor', Cursor],
    ['SyncScope', SyncScope],
    ['SyncOp', SyncOp],
    ['CommandAck', CommandAck],
    ['LiveFrame', LiveFrame],
  ];
  for (const [name, schema] of shared) components.ref(name, schema, 'output');
  for (const [name, schema] of [['ErrorCode', ErrorCode], ['AreaScope', AreaScope], ['SyncScope', SyncScope], ['Cursor', Cursor]] as const) components.ref(name, schema, 'input');
  // recursive: must be named so the recursion becomes a reference to it
  components.ref('TaxonomyNode', TaxonomyNode, 'input');
  for (const { name, schema } of Object.values(CONFIG_DOCUMENT_SCHEMAS)) components.ref(name, schema, 'input');
  const errorSchema = components.ref('ErrorResponse', ErrorResponse, 'output');
  const open311ErrorSchema = components.ref('Open311Errors', Open311Errors, 'output');

  const paths: OpenApiDocument['paths'] = {};
  const seen = new Set<string>();
  for (const op of allOperations()) {
    if (seen.has(op.operationId)) throw new Error(`operationId ${op.operationId} used twice`);
    seen.add(op.operationId);
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} described twice`);
    item[op.method] = toOperation(op, components);
  }

  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'Huying data center API',
      version: '1.0.0',
      summary: 'Intake, workflow authority, sync feed and commands of the district command and dispatch platform.',
      description: `${DESCRIPTION}\n\n${demoText()}`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: TAGS.map((t) => ({ ...t })),
    paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]!])),
    components: {
      schemas: {},
      responses: {
        ...errorResponses(errorSchema),
        Open311Error: {
          description: 'Open311\'s error format: one entry per problem, `code` repeating the HTTP status (400 bad fields, 401/403 API key, 404 unknown request, 409 duplicate reference, 415 body type).',
          content: { 'application/json': { schema: open311ErrorSchema } },
        },
      },
      headers: { ...HEADERS },
      securitySchemes: { ...SECURITY_SCHEMES },
    },
  };
  const resolved = components.resolveRefs(document);
  resolved.components.schemas = components.schemas();
  return resolved;
}

let cached: string | null = null;

/** The document as served, built once per process. */
export function openApiJson(): string {
  return (cached ??= JSON.stringify(buildOpenApiDocument()));
}

export { OPENAPI_PATH };
