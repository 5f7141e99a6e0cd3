/**
 * Operations of intake (src/datacenter/intake/routes.ts, open311-routes.ts, docs/intake.md): one
 * path per source system, each documented with its adapter's own payload schema; the quarantine
 * admin; and Open311 GeoReport v2 in the specification's formats.
 */
import { z } from 'zod';
import { IntakeSourceName } from '../../intake/draft';
import { BULK_MAX_ITEMS, DiscardBody, QuarantineListQuery, ReplayBody } from '../../intake/routes';
import { INTAKE_ADAPTERS } from '../../intake/sources';
import { BulkIntakeAnswer, IntakeCreated, IntakeDuplicate, IntakeRefusal, Open311Created, Open311ServiceRequest, Open311ServiceSchema, QuarantinePage, QuarantineRecordSchema } from './shapes';
import type { ContentSpec, OperationSpec, ParamSpec, ResponseSpec } from './spec';

const ADMIN = { kind: 'account', roles: ['admin'] } as const;

/** What each path is for; the payloads themselves are the adapters' schemas. */
const SOURCES: Record<IntakeSourceName, { title: string; description: string }> = {
  api: {
    title: 'Generic JSON API',
    description: 'A payload close to our own vocabulary, for systems without an adapter of their own. `externalRef` (system and id) is required, so no record is entered twice.',
  },
  migrant: { title: '来穗 migrant services (generic API)', description: 'The 来穗人员服务管理 system, through the generic JSON API\'s payload.' },
  gov_service: { title: '政务服务 government services (generic API)', description: 'The district government-service system, through the generic JSON API\'s payload.' },
  hotline_12345: {
    title: '12345 hotline work orders',
    description:
      'The work-order number is the external reference. The appeal type (诉求类型) sets the hotline clock: the order\'s own deadline when it has one, else the Guangdong default for the type. Positions default to GCJ-02.',
  },
  grid_patrol: {
    title: 'Grid-worker patrol reports',
    description: 'The worker, the grid, the base item (基础事项 001–109, which gives the category), at least one photo. Without a GPS fix the report is placed in the declared grid. Positions default to WGS84.',
  },
  one_key: { title: 'One-key calls', description: 'Always urgent; a location and the caller\'s phone are required.' },
  enterprise: { title: 'Enterprise calls (企业有呼)', description: 'The unified social credit code is checked (GB 32100-2015 check character); a contact and phone are required.' },
  urban_management: {
    title: 'Digital urban management cases (数字城管)',
    description: 'The case number is the external reference; the minor class gives the category and the urban clock. AI camera alarms (`aiAlarm: true`) need `cameraId`. Positions default to CGCS2000.',
  },
  open311: {
    title: 'Open311 service request (our envelope)',
    description: 'The Open311 GeoReport v2 request parameters, answered in our envelope; `/open311/v2/requests.json` takes the same payload and answers in Open311\'s format.',
  },
};

const COMMON =
  'Times: ISO 8601 with an offset, local time read as China Standard Time, or epoch seconds/milliseconds. Positions in `wgs84`, `cgcs2000`, `gcj02` or `bd09` are converted to WGS84 (the original is kept). Numbers may be sent as strings; attachments as URLs or `{ url, name?, mediaType?, sizeBytes? }`. Every bad field comes back at once, named as the source spelled it, and the payload is kept in the quarantine.';

const pascal = (s: string) => s.replace(/(^|_)([a-z0-9])/g, (_m, _u: string, c: string) => c.toUpperCase());

/** Component names of the adapters' payloads; the generic API's schema serves three paths under one name. */
function payloadNames(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>();
  for (const source of IntakeSourceName.options) {
    const schema = INTAKE_ADAPTERS[source].schema;
    if (!names.has(schema)) names.set(schema, `Intake${pascal(source)}Payload`);
  }
  return names;
}

function payloadContent(schema: z.ZodType, name: string): ContentSpec {
  return {
    'application/json': { name, schema },
    'application/x-www-form-urlencoded': { name, schema },
  };
}

const refused: ResponseSpec = {
  description: 'The payload was refused and kept in the quarantine: `invalid_args` with `details: [{ field, message }]`, and the quarantine row\'s id.',
  content: { 'application/json': { name: 'IntakeRefusal', schema: IntakeRefusal } },
  headers: ['X-Quarantine-Id'],
};

const intakeAnswers: Record<string, ResponseSpec> = {
  '201': { description: 'A new event: its id and case number, where it was placed, and near-duplicates suggested for merging.', ok: { name: 'IntakeCreated', schema: IntakeCreated } },
  '200': { description: 'The same external reference with the same payload (a retry): the event already entered.', ok: { name: 'IntakeDuplicate', schema: IntakeDuplicate } },
  '400': refused,
  '415': { ...refused, description: 'The body is neither JSON nor form fields (kept in the quarantine, field `(body)`).' },
};

const quarantineId: Record<string, ParamSpec> = { id: { schema: z.string().min(1), description: 'The quarantine row (`quarantineId` of the refusal).' } };

export function intakeOperations(): OperationSpec[] {
  const names = payloadNames();
  const perSource: OperationSpec[] = IntakeSourceName.options.map((source) => {
    const schema = INTAKE_ADAPTERS[source].schema;
    const { title, description } = SOURCES[source];
    return {
      method: 'post',
      path: `/api/v1/intake/${source}`,
      operationId: `submitIntake${pascal(source)}`,
      tags: ['intake'],
      summary: title,
      description: `${description}\n\n${COMMON}\n\nThe same external reference is never entered twice: a retry with the same payload answers 200 with the event, a different payload 409 \`conflict\`.`,
      access: { kind: 'apiKey', source },
      body: { content: payloadContent(schema, names.get(schema)!) },
      responses: intakeAnswers,
      errors: [401, 403, 409],
    };
  });

  // one envelope schema per payload schema (the generic API's serves three paths under one name)
  const envelopes = new Map<z.ZodType, z.ZodType>();
  const bulk: OperationSpec[] = IntakeSourceName.options.map((source) => {
    const schema = INTAKE_ADAPTERS[source].schema;
    const { title } = SOURCES[source];
    const name = `Bulk${names.get(schema)!}`;
    if (!envelopes.has(schema)) envelopes.set(schema, z.object({ items: z.array(schema).min(1).max(BULK_MAX_ITEMS) }));
    return {
      method: 'post',
      path: `/api/v1/intake/${source}/bulk`,
      operationId: `submitIntake${pascal(source)}Bulk`,
      tags: ['intake'],
      summary: `${title}, many at once`,
      description:
        `Up to ${BULK_MAX_ITEMS} payloads of this source in one request, \`{ items: [...] }\`, each exactly what \`POST /api/v1/intake/${source}\` takes (as JSON). ` +
        'Each is validated and entered on its own — not all or nothing, and nothing is lost: the answer lists, in the order sent, what the single POST would have answered: ' +
        '`created` (201, the event), `duplicate` (200, the event already entered for the reference), `rejected` (400, field errors, the payload kept in the quarantine as its own row with its `quarantineId`) ' +
        'or `failed` (the error of the single POST, e.g. 409 `conflict` for a reference entered with a different payload; send that one again later). ' +
        'A body that is not such a list is refused whole (400 or 415) and kept in the quarantine.',
      access: { kind: 'apiKey', source },
      body: { content: { 'application/json': { name, schema: envelopes.get(schema)! } } },
      responses: {
        '200': { description: 'One answer per payload, with counts per result.', ok: { name: 'BulkIntakeAnswer', schema: BulkIntakeAnswer } },
        '400': { ...refused, description: 'The body is not `{ items: [...] }` with 1 to ' + BULK_MAX_ITEMS + ' payloads (kept whole in the quarantine).' },
        '415': { ...refused, description: 'The body is not JSON (kept whole in the quarantine).' },
      },
      errors: [401, 403],
    };
  });

  const open311Payload = INTAKE_ADAPTERS.open311.schema;
  const requestList = { name: 'Open311ServiceRequestList', schema: z.array(Open311ServiceRequest) };
  return [
    ...perSource,
    ...bulk,
    // ---- quarantine (admin) ---------------------------------------------------------------
    {
      method: 'get',
      path: '/api/v1/admin/quarantine',
      operationId: 'listQuarantine',
      tags: ['admin', 'intake'],
      summary: 'Refused intake payloads, newest first',
      access: ADMIN,
      query: {
        schema: QuarantineListQuery,
        descriptions: { status: 'Only rows in this state.', source: 'Only this source system.', limit: 'Rows per page (default 50).', cursor: 'The `nextCursor` of the previous page.' },
      },
      responses: { '200': { description: 'Summaries (with a preview of the payload) and the next page\'s cursor.', ok: { name: 'QuarantinePage', schema: QuarantinePage } } },
      errors: [400, 401, 403],
    },
    {
      method: 'get',
      path: '/api/v1/admin/quarantine/{id}',
      operationId: 'getQuarantined',
      tags: ['admin', 'intake'],
      summary: 'One refused payload, verbatim, with its errors',
      access: ADMIN,
      pathParams: quarantineId,
      responses: { '200': { description: 'The row with the raw payload.', ok: { name: 'QuarantineRecord', schema: QuarantineRecordSchema } } },
      errors: [401, 403, 404],
    },
    {
      method: 'post',
      path: '/api/v1/admin/quarantine/{id}/replay',
      operationId: 'replayQuarantined',
      tags: ['admin', 'intake'],
      summary: 'Replay a refused payload, optionally fixed',
      description:
        'Runs the stored payload, or the fixed one sent here (saved on the row), through intake again. Refused again: the row stays pending with the new errors. A row is replayed or discarded once (409 afterwards).',
      access: ADMIN,
      pathParams: quarantineId,
      body: { required: false, content: { 'application/json': { name: 'ReplayBody', schema: ReplayBody } } },
      responses: { ...intakeAnswers, '400': { ...refused, description: 'Refused again: `invalid_args` with the new field errors; the row stays pending.' } },
      errors: [401, 403, 404, 409],
    },
    {
      method: 'post',
      path: '/api/v1/admin/quarantine/{id}/discard',
      operationId: 'discardQuarantined',
      tags: ['admin', 'intake'],
      summary: 'Discard a refused payload, with a reason',
      access: ADMIN,
      pathParams: quarantineId,
      body: { required: false, content: { 'application/json': { name: 'DiscardBody', schema: DiscardBody } } },
      responses: { '200': { description: 'The row, now discarded.', ok: { name: 'QuarantineRecord', schema: QuarantineRecordSchema } } },
      errors: [400, 401, 403, 404, 409],
    },
    // ---- Open311 GeoReport v2 -------------------------------------------------------------
    {
      method: 'get',
      path: '/open311/v2/services.json',
      operationId: 'open311ListServices',
      tags: ['open311'],
      summary: 'GeoReport v2 service list',
      description: 'The taxonomy as services: `service_code` is the taxonomy code, `group` its top category. No service has metadata.',
      access: { kind: 'public' },
      responses: { '200': { description: 'Every service.', content: { 'application/json': { name: 'Open311ServiceList', schema: z.array(Open311ServiceSchema) } } } },
      open311Errors: [],
    },
    {
      method: 'post',
      path: '/open311/v2/requests.json',
      operationId: 'open311CreateRequest',
      tags: ['open311'],
      summary: 'GeoReport v2: create a service request',
      description: `Form-encoded (as the specification has it) or JSON; \`attribute[CODE]=…\` fields are folded into \`attribute\`. \`service_code\` is a taxonomy code; a location is required (\`lat\` + \`long\`, \`address_string\` or \`address_id\`). Positions are WGS84; \`coordinate_system=gcj02|bd09\` is our extension. A refused request is quarantined like every intake (header \`X-Quarantine-Id\`).`,
      access: { kind: 'apiKey', source: 'open311' },
      body: { content: payloadContent(open311Payload, names.get(open311Payload)!) },
      responses: { '201': { description: 'Accepted: the event id as `service_request_id` and the case number in `service_notice`.', content: { 'application/json': { name: 'Open311Created', schema: Open311Created } } } },
      open311Errors: [400, 401, 403, 409, 415],
    },
    {
      method: 'get',
      path: '/open311/v2/requests.json',
      operationId: 'open311ListRequests',
      tags: ['open311'],
      summary: 'GeoReport v2: service requests',
      description:
        'Only requests that came in through Open311 (residents see what the public reported). Without ids or dates, the last 90 days; at most 1000. `status` is `open` until the event is closed.',
      access: { kind: 'public' },
      extraQuery: {
        service_request_id: { schema: z.string(), description: 'Comma-separated request ids; the other filters still apply.' },
        service_code: { schema: z.string(), description: 'Comma-separated service codes.' },
        start_date: { schema: z.string(), description: 'Requests reported at or after this instant (ISO 8601 / W3C).' },
        end_date: { schema: z.string(), description: 'Requests reported before this instant.' },
        status: { schema: z.string(), description: '`open` or `closed`, or both comma-separated.' },
      },
      responses: { '200': { description: 'The matching requests.', content: { 'application/json': requestList } } },
      open311Errors: [400],
    },
    {
      method: 'get',
      path: '/open311/v2/requests/{id}.json',
      operationId: 'open311GetRequest',
      tags: ['open311'],
      summary: 'GeoReport v2: one service request',
      access: { kind: 'public' },
      pathParams: { id: { schema: z.string().min(1), description: 'The `service_request_id`.' } },
      responses: { '200': { description: 'The request, as a list of one (as the specification has it).', content: { 'application/json': requestList } } },
      open311Errors: [404],
    },
  ];
}

