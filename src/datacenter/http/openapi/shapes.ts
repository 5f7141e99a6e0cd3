/**
 * Response bodies whose type is a TypeScript interface rather than a zod schema (accounts, API
 * keys, quarantine rows, the events store's pages, configuration documents, the scheduler's run,
 * Open311's formats…), as zod schemas for the OpenAPI document.
 *
 * They are built from core's schemas wherever core has one (`Actor`, `EventRecord`, `AuditEntry`,
 * `EventArea`, `Role`, `AreaScope`, `RpcErrorSchema`) and from the store's constant lists, and
 * each is checked at compile time against the type the route really answers with
 * (`mirrors<T>()`): a field added, removed or retyped in the service without this file following
 * fails `tsc`, so the document cannot drift silently from the code.
 */
import { z } from 'zod';
import { Actor, AreaScope, AuditEntry, EventArea, EventRecord, EventStatus, RpcErrorSchema, Role, type FieldError as FieldErrorType } from '../../../core';
import type { ApiKeyView, AuthAuditView, TokenPair, UserView } from '../../auth/service';
import type { ConfigDocumentInfo, ConfigDocumentWithBody, DomainConfigService } from '../../config/service';
import type { EventPage, EventWithTimeline } from '../../events/store';
import type { IntakePlacement } from '../../intake/event-sink';
import type { NearDuplicate } from '../../intake/duplicates';
import type { Open311Service, toOpen311Request } from '../../intake/open311-routes';
import type { BulkIntakeValue } from '../../intake/routes';
import type { IntakeService, QuarantineRecord, QuarantineSummary } from '../../intake/service';
import type { deleteWorker, GridImportOutcome, listWorkers, retireGrid, upsertAreas, upsertUnits, upsertWorkers } from '../../reference/edit';
import type { SchedulerRun } from '../../scheduler/scheduler';
import type { Simulator, SimulatorStats } from '../../simulator/simulator';
import { API_KEY_SCOPES, AUTH_AUDIT_KINDS } from '../../store/auth-schema';
import { CONFIG_DOCUMENTS, type EventIntakeFacts } from '../../store/events-schema';
import { QUARANTINE_STATUSES } from '../../store/intake-schema';
import type { ErrorBody } from '../errors';

/** A type with its intersections, `Pick`s and `Omit`s spelled out as plain object types, all the way down. */
type Plain<T> = T extends readonly (infer U)[] ? Plain<U>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;

/** True when A and B are the same type, not merely assignable to each other. */
type Same<A, B> = (<X>() => X extends Plain<A> ? 1 : 2) extends <X>() => X extends Plain<B> ? 1 : 2 ? true : false;

/**
 * `mirrors<T>()(schema)` answers `schema`, and fails type-checking (a second argument is
 * demanded) unless the schema's output is exactly `T`.
 */
function mirrors<T>() {
  return <S extends z.ZodType>(schema: S, ..._drift: Same<z.output<S>, T> extends true ? [] : ['the schema does not match the type the route answers with']): S => schema;
}

const Instant = z.string().describe('ISO 8601 instant');
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

// ---- errors ----------------------------------------------------------------------------------

export const FieldError = mirrors<FieldErrorType>()(
  z.object({
    /** dotted path of the bad field as the sender spelled it, e.g. `location.lon`; `(body)` for the body as a whole */
    field: z.string(),
    message: z.string(),
  }),
);

export const ErrorResponse = mirrors<ErrorBody>()(z.object({ ok: z.literal(false), error: RpcErrorSchema }));

// ---- auth ------------------------------------------------------------------------------------

export const TokenPairSchema = mirrors<TokenPair>()(
  z.object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string(),
    accessTokenExpiresAt: Instant,
    refreshToken: z.string(),
    refreshTokenExpiresAt: Instant,
    actor: Actor,
  }),
);

export const Me = z.object({ actor: Actor, login: z.string(), sessionId: z.string().nullable(), demo: z.boolean() });

export const UserViewSchema = mirrors<UserView>()(
  z.object({
    id: z.string(),
    login: z.string(),
    displayName: z.string(),
    role: Role,
    scope: AreaScope,
    organisationId: z.string(),
    disabled: z.boolean(),
    demo: z.boolean(),
    createdAt: Instant,
    updatedAt: Instant,
    passwordChangedAt: Instant,
  }),
);

export const ApiKeyViewSchema = mirrors<ApiKeyView>()(
  z.object({
    id: z.string(),
    source: z.string(),
    name: z.string(),
    /** the first characters of the key, to recognise it; the key itself is never shown again */
    keyPrefix: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    demo: z.boolean(),
    createdAt: Instant,
    createdBy: z.string().nullable(),
    lastUsedAt: Instant.nullable(),
    disabledAt: Instant.nullable(),
  }),
);

export const CreatedApiKey = z.object({ key: z.string().describe('the API key, shown this once'), apiKey: ApiKeyViewSchema });

export const AuthAuditViewSchema = mirrors<AuthAuditView>()(
  z.object({
    id: z.number().int(),
    at: Instant,
    kind: z.enum(AUTH_AUDIT_KINDS),
    userId: z.string().nullable(),
    login: z.string().nullable(),
    actorId: z.string().nullable(),
    ip: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  }),
);

// ---- intake ----------------------------------------------------------------------------------

const PlacementMethod = mirrors<IntakePlacement['method']>()(z.enum(['point', 'declared_grid', 'none']));

export const NearDuplicateSchema = mirrors<NearDuplicate>()(z.object({ eventId: z.string(), distanceMetres: z.number(), hoursApart: z.number() }));

/** `sendOutcome` in src/datacenter/intake/routes.ts, kind `created` (201) */
export const IntakeCreated = z.object({
  eventId: z.string(),
  caseNo: z.string(),
  duplicate: z.literal(false),
  outsideDistrict: z.boolean(),
  placement: EventArea.extend({ method: PlacementMethod }),
  duplicateCandidates: z.array(NearDuplicateSchema),
});

/** kind `duplicate` (200): the same external reference with the same payload, e.g. a retry */
export const IntakeDuplicate = z.object({ eventId: z.string(), caseNo: z.string(), duplicate: z.literal(true) });

/** kind `invalid` (400, 415): the error envelope plus the quarantine row that keeps the payload */
export const IntakeRefusal = ErrorResponse.extend({ quarantineId: z.string() });

/** `POST /api/v1/intake/{source}/bulk` (200): per payload what its single POST would have answered */
export const BulkIntakeAnswer = mirrors<BulkIntakeValue>()(
  z.object({
    created: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    failed: z.number().int(),
    items: z.array(
      z.discriminatedUnion('result', [
        z.object({ index: z.number().int(), result: z.literal('created'), status: z.literal(201), value: IntakeCreated }),
        z.object({ index: z.number().int(), result: z.literal('duplicate'), status: z.literal(200), value: IntakeDuplicate }),
        z.object({ index: z.number().int(), result: z.literal('rejected'), status: z.union([z.literal(400), z.literal(415)]), error: RpcErrorSchema, quarantineId: z.string() }),
        z.object({ index: z.number().int(), result: z.literal('failed'), status: z.number().int(), error: RpcErrorSchema }),
      ]),
    ),
  }),
);

const quarantineFields = {
  id: z.string(),
  source: z.string(),
  receivedAt: Instant,
  contentType: z.string().nullable(),
  errors: z.array(FieldError),
  status: z.enum(QUARANTINE_STATUSES),
  replayedEventId: z.string().nullable(),
  fixedContentType: z.string().nullable(),
  replayAttempts: z.number().int(),
  resolvedAt: Instant.nullable(),
  resolvedBy: z.string().nullable(),
  note: z.string().nullable(),
  remoteAddress: z.string().nullable(),
};

export const QuarantineRecordSchema = mirrors<QuarantineRecord>()(
  z.object({
    ...quarantineFields,
    /** the body exactly as received */
    rawPayload: z.string(),
    /** the corrected body of the last replay, if any */
    fixedPayload: z.string().nullable(),
  }),
);

export const QuarantineSummarySchema = mirrors<QuarantineSummary>()(z.object({ ...quarantineFields, sizeBytes: z.number().int(), preview: z.string() }));

export const QuarantinePage = mirrors<Awaited<ReturnType<IntakeService['listQuarantine']>>>()(
  z.object({ items: z.array(QuarantineSummarySchema), nextCursor: z.string().nullable() }),
);

// ---- Open311 GeoReport v2 (its own formats, not our envelope) --------------------------------

export const Open311ServiceSchema = mirrors<Open311Service>()(
  z.object({
    service_code: z.string(),
    service_name: z.string(),
    description: z.string(),
    metadata: z.literal(false),
    type: z.literal('realtime'),
    keywords: z.string(),
    group: z.string(),
  }),
);

/**
 * `toOpen311Request`'s answer. Its inferred type says `expected_datetime: string`, but the first of
 * no deadlines is undefined at run time (`noUncheckedIndexedAccess` is off), so it can be null.
 */
type Open311RequestAnswer = Omit<ReturnType<typeof toOpen311Request>, 'expected_datetime'> & { expected_datetime: string | null };

export const Open311ServiceRequest = mirrors<Open311RequestAnswer>()(
  z.object({
    service_request_id: z.string(),
    status: z.string().describe('`open` until the event is closed, then `closed`'),
    status_notes: EventStatus.describe('the workflow status'),
    service_name: z.string().nullable(),
    service_code: z.string().nullable(),
    description: z.string(),
    agency_responsible: z.string().nullable(),
    service_notice: z.string(),
    requested_datetime: z.string(),
    updated_datetime: z.string(),
    expected_datetime: z.string().nullable(),
    address: z.string().nullable(),
    address_id: z.null(),
    zipcode: z.null(),
    lat: z.number().nullable(),
    long: z.number().nullable(),
    media_url: z.string().nullable(),
  }),
);

/** the answer to `POST /open311/v2/requests.json`: one entry */
export const Open311Created = z.array(z.object({ service_request_id: z.string(), service_notice: z.string(), account_id: z.string().nullable() })).length(1);

/** Open311's error format: one entry per problem, `code` repeating the HTTP status */
export const Open311Errors = z.array(z.object({ code: z.number().int(), description: z.string() })).min(1);

// ---- events store ----------------------------------------------------------------------------

export const EventPageSchema = mirrors<EventPage>()(z.object({ items: z.array(EventRecord), nextCursor: z.string().nullable() }));

const EventIntakeFactsSchema = mirrors<EventIntakeFacts>()(
  z.object({
    placement: PlacementMethod,
    sourceCategory: z.string().nullable(),
    appealType: z.string().nullable(),
    sourceClocks: z.array(z.unknown()),
    sourceFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  }),
);

export const EventWithTimelineSchema = mirrors<EventWithTimeline>()(
  z.object({ event: EventRecord, audit: z.array(AuditEntry), intake: EventIntakeFactsSchema, nextCheckAt: Instant.nullable(), v: z.number().int() }),
);

// ---- domain configuration --------------------------------------------------------------------

export const ConfigDocumentInfoSchema = mirrors<ConfigDocumentInfo>()(
  z.object({ name: z.enum(CONFIG_DOCUMENTS), v: z.number().int(), updatedAt: Instant, updatedBy: z.string() }),
);

export const ConfigDocumentWithBodySchema = mirrors<ConfigDocumentWithBody>()(ConfigDocumentInfoSchema.extend({ document: z.unknown() }));

export const ConfigList = mirrors<Awaited<ReturnType<DomainConfigService['list']>>>()(
  z.object({ documents: z.array(ConfigDocumentInfoSchema), problems: z.array(FieldError) }),
);

export const ConfigReplaced = z.object({ dryRun: z.boolean(), documents: z.array(ConfigDocumentInfoSchema) });

// ---- scheduler and simulator -----------------------------------------------------------------

export const SchedulerRunSchema = mirrors<SchedulerRun>()(
  z.object({
    at: Instant,
    examined: z.number().int(),
    commands: z.array(z.object({ eventId: z.string(), caseNo: z.string(), command: z.string(), ok: z.boolean(), code: z.string().optional() })),
    failed: z.number().int(),
  }),
);

const SimulatorStatsSchema = mirrors<SimulatorStats>()(
  z.object({
    now: Instant,
    arrivals: z.number().int(),
    created: z.number().int(),
    duplicates: z.number().int(),
    quarantined: z.number().int(),
    intakeErrors: z.number().int(),
    commands: z.number().int(),
    applied: z.record(z.string(), z.number().int()),
    refused: z.record(z.string(), z.number().int()),
    schedulerRuns: z.number().int(),
    automatic: z.number().int(),
    storms: z.number().int(),
    following: z.number().int(),
    lagMs: z.number(),
  }),
);

export const SimulatorStatus = mirrors<Pick<Simulator, 'seed' | 'ratePerHour' | 'speed' | 'running'> & { stats: SimulatorStats }>()(
  z.object({ seed: z.number(), ratePerHour: z.number(), speed: z.number(), running: z.boolean(), stats: SimulatorStatsSchema }),
);

export const RainstormWindow = z.object({ start: Instant, end: Instant, peakPerHour: z.number() });

// ---- reference data editing ------------------------------------------------------------------

const GridVersionKey = z.object({ code: z.string(), validFrom: LocalDate });

export const GridImportOutcomeSchema = mirrors<GridImportOutcome>()(
  z.object({
    version: z.string().describe('the new reference version'),
    v: z.number().int().describe('the sync version the change was published as'),
    created: z.array(GridVersionKey),
    versioned: z.array(GridVersionKey),
    corrected: z.array(GridVersionKey),
    retired: z.array(GridVersionKey.extend({ validTo: LocalDate })),
  }),
);

export const GridRetired = mirrors<Awaited<ReturnType<typeof retireGrid>>>()(
  z.object({ version: z.string(), v: z.number().int(), code: z.string(), validFrom: LocalDate, validTo: LocalDate }),
);

const upsertOutcome = z.object({ version: z.string(), v: z.number().int(), created: z.array(z.string()), updated: z.array(z.string()) });
export const UpsertOutcome = mirrors<Awaited<ReturnType<typeof upsertAreas>>>()(upsertOutcome);
mirrors<Awaited<ReturnType<typeof upsertUnits>>>()(upsertOutcome);
mirrors<Awaited<ReturnType<typeof upsertWorkers>>>()(upsertOutcome);

export const WorkerDeleted = mirrors<Awaited<ReturnType<typeof deleteWorker>>>()(z.object({ version: z.string(), v: z.number().int(), id: z.string() }));

export const WorkerList = mirrors<Awaited<ReturnType<typeof listWorkers>>>()(
  z.array(z.object({ id: z.string(), name: z.string(), phone: z.string(), villageCode: z.string(), grids: z.array(z.string()) })),
);
