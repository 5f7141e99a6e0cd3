/**
 * Operations around the workflow authority: the events read routes, the domain configuration
 * admin, the SLA scheduler, the simulator (only with `--simulate`) and the reference-data
 * import and edit routes (src/datacenter/events/routes.ts, config/routes.ts,
 * scheduler/routes.ts, simulator/routes.ts, reference/admin-routes.ts).
 */
import { z } from 'zod';
import { CalendarData, ResponsibilityMatrix, Taxonomy, WorkflowConfig } from '../../../core';
import { DryRun } from '../../config/routes';
import { EventListQuery } from '../../events/routes';
import { AreaInput, UnitInput, WorkerInput } from '../../reference/edit';
import { ImportQuery, RetireGridBody, WorkersQuery } from '../../reference/admin-routes';
import { CollectionShape, FeatureShape } from '../../reference/grid-import';
import { RainstormBody } from '../../simulator/routes';
import type { ConfigDocumentName } from '../../store/events-schema';
import { CONFIG_DOCUMENTS } from '../../store/events-schema';
import {
  ConfigDocumentWithBodySchema,
  ConfigList,
  ConfigReplaced,
  EventPageSchema,
  EventWithTimelineSchema,
  GridImportOutcomeSchema,
  GridRetired,
  RainstormWindow,
  SchedulerRunSchema,
  SimulatorStatus,
  UpsertOutcome,
  WorkerDeleted,
  WorkerList,
} from './shapes';
import type { OperationSpec, ParamSpec } from './spec';

const ADMIN = { kind: 'account', roles: ['admin'] } as const;

/**
 * The schema of each configuration document (core validates them with these, through
 * `parseDomainConfig`); a document added to the store's list without one here fails `tsc`.
 */
export const CONFIG_DOCUMENT_SCHEMAS: Record<ConfigDocumentName, { name: string; schema: z.ZodType }> = {
  calendar: { name: 'CalendarDocument', schema: CalendarData },
  taxonomy: { name: 'TaxonomyDocument', schema: Taxonomy },
  responsibility: { name: 'ResponsibilityDocument', schema: ResponsibilityMatrix },
  workflow: { name: 'WorkflowDocument', schema: WorkflowConfig },
};

const dryRunText = '`true` or `1`: validate only, write nothing.';

/**
 * The bodies of the reference edits: the routes check the wrapper, then each item against the
 * item schema (so every bad item is named with its index).
 */
const AreasBody = z.object({ areas: z.array(AreaInput).min(1).max(5_000) }).strict();
const UnitsBody = z.object({ units: z.array(UnitInput).min(1).max(5_000) }).strict();
const WorkersBody = z.object({ workers: z.array(WorkerInput).min(1).max(10_000) }).strict();
const GridFeatureCollection = CollectionShape.extend({ features: z.array(FeatureShape).min(1).max(20_000) });

const referenceEditText =
  'One replicated write: validated against what the transaction reads, written, reported to the sync feed (desktops receive it) under a new reference version. Any problem rolls everything back (400 `invalid_args` with every problem in `details`): nothing is half-imported.';

export function workflowOperations(): OperationSpec[] {
  const configName: Record<string, ParamSpec> = { name: { schema: z.enum(CONFIG_DOCUMENTS), description: 'The document.' } };
  const documents = CONFIG_DOCUMENTS.map((n) => CONFIG_DOCUMENT_SCHEMAS[n]);
  const ConfigImport = z.object(Object.fromEntries(CONFIG_DOCUMENTS.map((n) => [n, CONFIG_DOCUMENT_SCHEMAS[n].schema.optional()]))).strict();
  return [
    {
      method: 'get',
      path: '/api/v1/events',
      operationId: 'listEvents',
      tags: ['events'],
      summary: 'Events, newest first, keyset-paged',
      description:
        'A reader sees what their scope reaches: town and village accounts their own area, unit operators the events their unit leads or assists, district accounts everything. Desktops read their replica instead.',
      access: { kind: 'account', roles: ['admin', 'supervisor', 'duty_officer', 'intake_agent'] },
      query: {
        schema: EventListQuery,
        descriptions: {
          status: 'Workflow states, comma-separated.',
          source: 'Source systems, comma-separated.',
          town: '12-digit town codes, comma-separated.',
          category: 'Taxonomy codes, comma-separated; a code matches its whole branch.',
          since: 'Reported at or after: an ISO 8601 instant with offset, or YYYY-MM-DD (the day\'s start, China Standard Time).',
          until: 'Reported before: as `since`.',
          externalSystem: 'The source\'s system of the external reference.',
          externalId: 'The external reference (needs `externalSystem`).',
          limit: 'Events per page.',
          cursor: 'The `nextCursor` of the previous page.',
        },
      },
      responses: { '200': { description: 'A page of events.', ok: { name: 'EventPage', schema: EventPageSchema } } },
      errors: [400, 401, 403],
    },
    {
      method: 'get',
      path: '/api/v1/events/{id}',
      operationId: 'getEvent',
      tags: ['events'],
      summary: 'One event with its audit timeline',
      description: 'By id or case number: the record, the append-only audit trail (oldest first), what intake learnt from the source, and the scheduler\'s next check.',
      access: { kind: 'account', roles: ['admin', 'supervisor', 'duty_officer', 'intake_agent'] },
      pathParams: { id: { schema: z.string().min(1), description: 'The event id or its case number (e.g. `HD202511260042`).' } },
      responses: { '200': { description: 'The event.', ok: { name: 'EventWithTimeline', schema: EventWithTimelineSchema } } },
      errors: [401, 403, 404],
    },
    // ---- domain configuration -------------------------------------------------------------
    {
      method: 'get',
      path: '/api/v1/admin/config',
      operationId: 'listConfigDocuments',
      tags: ['config', 'admin'],
      summary: 'The configuration documents\' versions and problems',
      description: 'The four documents\' versions, and the problems of the stored set against today\'s units.',
      access: ADMIN,
      responses: { '200': { description: 'The documents (without bodies).', ok: { name: 'ConfigList', schema: ConfigList } } },
      errors: [401, 403],
    },
    {
      method: 'get',
      path: '/api/v1/admin/config/{name}',
      operationId: 'getConfigDocument',
      tags: ['config', 'admin'],
      summary: 'One configuration document',
      access: ADMIN,
      pathParams: configName,
      responses: { '200': { description: 'The document with its version (also the ETag).', ok: { name: 'ConfigDocumentWithBody', schema: ConfigDocumentWithBodySchema }, headers: ['ETag', 'Cache-Control'] } },
      errors: [401, 403, 404],
    },
    {
      method: 'put',
      path: '/api/v1/admin/config/{name}',
      operationId: 'replaceConfigDocument',
      tags: ['config', 'admin'],
      summary: 'Replace one configuration document',
      description:
        'The body is the document named by `{name}`. It is validated together with the stored documents it leaves alone (cross-references included); bad data is 400 with every field error (`responsibility:entries.4.leadUnitId: …`), a moved version (If-Match) 409; in both cases nothing is written. Accepted documents reach the desktops through the sync feed.',
      access: ADMIN,
      pathParams: configName,
      query: { schema: DryRun, descriptions: { dryRun: dryRunText } },
      headerParams: { 'If-Match': { schema: z.string(), description: 'The version the client edited (`"12"`, the ETag of the GET): refused with 409 if it moved.' } },
      body: {
        description: 'The document: the schema that matches `{name}`.',
        content: { 'application/json': { json: { oneOf: documents.map((d) => ({ $ref: `#/components/schemas/${d.name}`, 'x-huying-io': 'input' })) } } },
      },
      responses: { '200': { description: 'The documents written (or that would be, on a dry run).', ok: { name: 'ConfigReplaced', schema: ConfigReplaced } } },
      errors: [400, 401, 403, 404, 409],
      extensions: { 'x-huying-document-schemas': Object.fromEntries(CONFIG_DOCUMENTS.map((n) => [n, { $ref: `#/components/schemas/${CONFIG_DOCUMENT_SCHEMAS[n].name}`, 'x-huying-io': 'input' }])) },
    },
    {
      method: 'post',
      path: '/api/v1/admin/config/import',
      operationId: 'importConfigDocuments',
      tags: ['config', 'admin'],
      summary: 'Import several configuration documents at once, all or none',
      access: ADMIN,
      query: { schema: DryRun, descriptions: { dryRun: dryRunText } },
      body: { content: { 'application/json': { name: 'ConfigImport', schema: ConfigImport } } },
      responses: { '200': { description: 'The documents written (or that would be, on a dry run).', ok: { name: 'ConfigReplaced', schema: ConfigReplaced } } },
      errors: [400, 401, 403, 409],
    },
    // ---- SLA scheduler and simulator ------------------------------------------------------
    {
      method: 'post',
      path: '/api/v1/admin/scheduler/run',
      operationId: 'runScheduler',
      tags: ['admin'],
      summary: 'Run the SLA scheduler now',
      description: 'After a calendar change, or from a tool: marks overdue clocks, raises supervision and climbs the escalation ladder as the `system` actor, and answers what it did.',
      access: ADMIN,
      responses: { '200': { description: 'What the run did.', ok: { name: 'SchedulerRun', schema: SchedulerRunSchema } } },
      errors: [401, 403],
    },
    {
      method: 'get',
      path: '/api/v1/admin/simulator',
      operationId: 'getSimulator',
      tags: ['admin'],
      summary: 'The simulator\'s settings and counts',
      description: 'Only on a data center started with `--simulate` (404 otherwise).',
      access: ADMIN,
      responses: { '200': { description: 'Seed, rate, speed and what it did so far.', ok: { name: 'SimulatorStatus', schema: SimulatorStatus } } },
      errors: [401, 403, 404],
    },
    {
      method: 'post',
      path: '/api/v1/admin/simulator/rainstorm',
      operationId: 'triggerRainstorm',
      tags: ['admin'],
      summary: 'Trigger a simulated rainstorm',
      description: 'A burst of flooding reports in low-lying grids. Only with `--simulate` (404 otherwise).',
      access: ADMIN,
      body: { required: false, content: { 'application/json': { name: 'RainstormBody', schema: RainstormBody } } },
      responses: { '200': { description: 'The storm\'s window in simulated time.', ok: { name: 'RainstormWindow', schema: RainstormWindow } } },
      errors: [400, 401, 403, 404],
    },
    // ---- reference data editing -----------------------------------------------------------
    {
      method: 'post',
      path: '/api/v1/admin/reference/grids/geojson',
      operationId: 'importGrids',
      tags: ['reference', 'admin'],
      summary: 'Import base grids from GeoJSON',
      description: `A FeatureCollection of Polygon or MultiPolygon features in WGS84 (either winding), properties \`{ code, name, villageCode, validFrom?, kind? }\`; codes may be numbers. Refusals list every problem as \`{ feature, field, kind, message }\` (kinds: schema, bad_code, unknown_parent, invalid_ring, self_intersection, overlap, …). ${referenceEditText}`,
      access: ADMIN,
      query: {
        schema: ImportQuery,
        descriptions: {
          validFrom: 'The valid-from of features without one, and the day grids are retired (default: today, China Standard Time).',
          retireMissing: 'Close current grids of the imported villages that the file leaves out.',
          overlapToleranceM2: 'Shared area tolerated between grids of one village, m² (default 1).',
        },
      },
      body: {
        content: {
          'application/json': { name: 'GridFeatureCollection', schema: GridFeatureCollection },
          'application/geo+json': { name: 'GridFeatureCollection', schema: GridFeatureCollection },
        },
      },
      responses: { '200': { description: 'Grids created, versioned, corrected and retired.', ok: { name: 'GridImportOutcome', schema: GridImportOutcomeSchema } } },
      errors: [400, 401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/admin/reference/grids/{code}/retire',
      operationId: 'retireGrid',
      tags: ['reference', 'admin'],
      summary: 'Retire a grid',
      description: referenceEditText,
      access: ADMIN,
      pathParams: { code: { schema: z.string().regex(/^\d{15}$/), description: 'The 15-digit grid code.' } },
      body: { content: { 'application/json': { name: 'RetireGridBody', schema: RetireGridBody } } },
      responses: { '200': { description: 'The retired grid version.', ok: { name: 'GridRetired', schema: GridRetired } } },
      errors: [400, 401, 403, 404],
    },
    {
      method: 'post',
      path: '/api/v1/admin/reference/areas',
      operationId: 'upsertAreas',
      tags: ['reference', 'admin'],
      summary: 'Add or change areas',
      description: `An area's code, level and parent are its identity and cannot change. ${referenceEditText}`,
      access: ADMIN,
      body: { content: { 'application/json': { name: 'AreasBody', schema: AreasBody } } },
      responses: { '200': { description: 'Codes created and updated.', ok: { name: 'UpsertOutcome', schema: UpsertOutcome } } },
      errors: [400, 401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/admin/reference/units',
      operationId: 'upsertUnits',
      tags: ['reference', 'admin'],
      summary: 'Add or change units',
      description: referenceEditText,
      access: ADMIN,
      body: { content: { 'application/json': { name: 'UnitsBody', schema: UnitsBody } } },
      responses: { '200': { description: 'Ids created and updated.', ok: { name: 'UpsertOutcome', schema: UpsertOutcome } } },
      errors: [400, 401, 403],
    },
    {
      method: 'get',
      path: '/api/v1/admin/reference/workers',
      operationId: 'listWorkers',
      tags: ['reference', 'admin'],
      summary: 'Grid workers with their grids',
      access: ADMIN,
      query: { schema: WorkersQuery, descriptions: { villageCode: 'Only the workers of this village (12 digits).' } },
      responses: { '200': { description: 'The workers.', ok: { name: 'WorkerList', schema: WorkerList } } },
      errors: [400, 401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/admin/reference/workers',
      operationId: 'upsertWorkers',
      tags: ['reference', 'admin'],
      summary: 'Add or change grid workers',
      description: `\`grids\` replaces a worker's assignment. ${referenceEditText}`,
      access: ADMIN,
      body: { content: { 'application/json': { name: 'WorkersBody', schema: WorkersBody } } },
      responses: { '200': { description: 'Ids created and updated.', ok: { name: 'UpsertOutcome', schema: UpsertOutcome } } },
      errors: [400, 401, 403],
    },
    {
      method: 'delete',
      path: '/api/v1/admin/reference/workers/{id}',
      operationId: 'deleteWorker',
      tags: ['reference', 'admin'],
      summary: 'Remove a grid worker',
      description: referenceEditText,
      access: ADMIN,
      pathParams: { id: { schema: z.string().min(1), description: 'The worker id.' } },
      responses: { '200': { description: 'Removed.', ok: { name: 'WorkerDeleted', schema: WorkerDeleted } } },
      errors: [401, 403, 404],
    },
  ];
}
