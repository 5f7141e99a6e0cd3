/**
 * Operations without credentials and the reference-data reads: `/healthz`, this document, and
 * the whole-resource reference routes (src/datacenter/http/reference-routes.ts) with their
 * ETag/304 revalidation.
 */
import { z } from 'zod';
import { AreasResponse, GridsResponse, ReferenceVersion, UnitsResponse } from '../../../core';
import { HealthResponse } from '../app';
import { GridsQuery } from '../reference-routes';
import type { OperationSpec, ParamSpec } from './spec';

export const OPENAPI_PATH = '/api/v1/openapi.json';

const ifNoneMatch: Record<string, ParamSpec> = {
  'If-None-Match': {
    schema: z.string(),
    description: 'The ETag of the copy the client holds (`"<version>"`, also weak, in a list, or `*`): an unchanged resource answers 304 with no body.',
  },
};

function referenceRead(path: string, operationId: string, summary: string, name: string, schema: z.ZodType, description: string): OperationSpec {
  return {
    method: 'get',
    path,
    operationId,
    tags: ['reference'],
    summary,
    description: `${description}\n\nEvery answer carries \`ETag: "<reference version>"\` and \`Cache-Control: no-cache\`; until reference data is loaded the route answers 503 \`unavailable\`.`,
    access: { kind: 'public' },
    headerParams: ifNoneMatch,
    responses: {
      '200': { description: 'The resource at the current reference version.', content: { 'application/json': { name, schema } }, headers: ['ETag', 'Cache-Control'] },
      '304': { description: 'Not modified: the client\'s copy (If-None-Match) is current.', headers: ['ETag', 'Cache-Control'] },
    },
    errors: [503],
  };
}

export function publicOperations(): OperationSpec[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness and version',
      description: 'Answers as long as the database answers: the reference version (null until seeded), the epoch, the engine, the newest applied migration and the uptime.',
      access: { kind: 'public' },
      responses: { '200': { description: 'The data center is up.', content: { 'application/json': { name: 'HealthResponse', schema: HealthResponse } }, headers: ['Cache-Control'] } },
      errors: [503],
    },
    {
      method: 'get',
      path: OPENAPI_PATH,
      operationId: 'getOpenApiDocument',
      tags: ['health'],
      summary: 'This OpenAPI 3.1 document',
      description: 'Every endpoint of the data center, generated from the zod schemas the routes validate with.',
      access: { kind: 'public' },
      responses: {
        '200': {
          description: 'The OpenAPI document.',
          content: { 'application/json': { json: { type: 'object', description: 'An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0).', required: ['openapi', 'info', 'paths'] } } },
        },
      },
    },
    referenceRead(
      '/api/v1/reference/version',
      'getReferenceVersion',
      'Reference version, district and counts',
      'ReferenceVersion',
      ReferenceVersion,
      'The reference version (a content hash of what the reference routes serve), the district\'s code and name, and the counts of towns, villages, current grids and units.',
    ),
    referenceRead('/api/v1/areas', 'listAreas', 'Areas: the district, its towns and villages', 'AreasResponse', AreasResponse, 'The district, then the towns, then the villages, each by code, with outlines (GeoJSON, WGS84).'),
    {
      ...referenceRead(
        '/api/v1/grids',
        'listGrids',
        'Base grids with their workers',
        'GridsResponse',
        GridsResponse,
        'Every grid version (by code, then valid-from) with its grid workers; with `asOf`, only the versions in force that day.',
      ),
      query: { schema: GridsQuery, descriptions: { asOf: 'A calendar day (YYYY-MM-DD): only the grid versions in force that day.' } },
      errors: [400, 503],
    },
    referenceRead('/api/v1/units', 'listUnits', 'Units: command centre, departments, towns, villages', 'UnitsResponse', UnitsResponse, 'The district command centre, the departments, the town governments and village committees, in display order.'),
  ];
}
