/**
 * 人工受理: a duty officer or intake agent enters a phone call at the command center (mutation
 * `event/intake`, source `manual`). It takes the intake pipeline's own steps — field validation
 * with the intake's field rules, coordinate conversion, placement in a grid, near-duplicate
 * suggestions — and creates the event in the command's replicated transaction, so the command
 * endpoint's idempotency (clientId, mutationId) covers it: a retried push never enters the call
 * twice.
 *
 * The officer is the reporter on the trail (`report` by them), and may file it at once
 * (`file: true`, decided by `decide` for them). Only admin, duty officer and intake agent may
 * enter events, and only where their area scope reaches (`forbidden_role`, `out_of_scope`).
 */
import { z } from 'zod';
import { fieldErrors, formatZodError, type RpcError } from '../../core/errors';
import type { EventRecord } from '../../core/events/types';
import type { DomainConfig } from '../../core/workflow/domain-config';
import { workflowErrorToRpc } from '../../core/workflow/errors';
import { scopeCovers, type Actor, type ActorRole } from '../../core/workflow/roles';
import type { CategoryResolver } from '../intake/categories';
import type { IntakeDraft } from '../intake/draft';
import { findNearDuplicates, DEFAULT_DUPLICATE_RADIUS_METRES, DEFAULT_DUPLICATE_WINDOW_HOURS, type NearDuplicate, type NearDuplicateOptions } from '../intake/duplicates';
import { attachmentList, locationObject, obj, OptionalPhone, optionalSourceInstant, optionalText, requiredText, toAttachment, UrgencyField } from '../intake/fields';
import { loadPlacementReference, localDate, type PlacementReference } from '../intake/reference';
import { meta } from '../store/schema';
import { eq } from 'drizzle-orm';
import { placeDraft } from '../intake/service';
import { insertNewEvent, PENDING_CASE_NO, prepareEvent } from '../events/create';
import type { ReplicationOut, Tx } from '../events/replication';
import { openEventsNear } from '../events/store';

export const MANUAL_INTAKE_ROLES: readonly ActorRole[] = ['admin', 'duty_officer', 'intake_agent'];

export const ManualIntakePayload = obj({
  title: requiredText(200),
  description: optionalText(10_000),
  address: optionalText(500),
  location: locationObject('wgs84').optional(),
  /** a 15-digit grid code, when the caller names the grid instead of a position */
  gridCode: z
    .string()
    .regex(/^\d{15}$/, 'expected a 15-digit grid code')
    .optional(),
  urgency: UrgencyField.default('normal'),
  categoryCode: optionalText(32),
  reporter: z.object({ name: optionalText(100), phone: OptionalPhone, organisation: optionalText(200) }).optional(),
  attachments: attachmentList(),
  reportedAt: optionalSourceInstant(),
  /** 立案 at once, as the officer entering it */
  file: z.boolean().default(false),
});
export type ManualIntakePayload = z.input<typeof ManualIntakePayload>;

export interface ManualIntakeDeps {
  /** the grids to place by, read through the command's transaction (see `createTxPlacementReference`) */
  reference: (tx: Tx, now: Date) => Promise<PlacementReference>;
  categories?: CategoryResolver;
  duplicates?: NearDuplicateOptions;
}

export interface ManualIntakeInput {
  payload: unknown;
  actor: Actor;
  now: Date;
  ctx: DomainConfig;
}

export type ManualIntakeResult = { ok: true; value: { record: EventRecord; duplicateCandidates: NearDuplicate[] } } | { ok: false; error: RpcError };

const invalid = (details: { field: string; message: string }[]): ManualIntakeResult => ({
  ok: false,
  error: { code: 'invalid_args', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details },
});

/**
 * The placement reference for code running inside a transaction: like intake's cache, rebuilt
 * only when the reference version or the local day changes, but every read goes through the
 * caller's transaction.
 */
export function createTxPlacementReference(): (tx: Tx, now: Date) => Promise<PlacementReference> {
  let current: PlacementReference | null = null;
  let builtFor = '';
  return async (tx, now) => {
    const [m] = await tx.select({ version: meta.referenceVersion }).from(meta).where(eq(meta.id, 1));
    const key = `${m?.version ?? null}|${localDate(now)}`;
    if (!current || builtFor !== key) {
      current = await loadPlacementReference(tx, now);
      builtFor = key;
    }
    return current;
  };
}

/** The draft of a manual intake payload, or field errors. */
export function manualDraft(payload: unknown, now: Date, categories?: CategoryResolver): { ok: true; draft: IntakeDraft; file: boolean } | { ok: false; result: ManualIntakeResult } {
  const parsed = ManualIntakePayload.safeParse(payload);
  if (!parsed.success) return { ok: false, result: { ok: false, error: { code: 'invalid_args', message: formatZodError(parsed.error), details: fieldErrors(parsed.error) } } };
  const p = parsed.data;
  const errors: { field: string; message: string }[] = [];
  const reportedAt = p.reportedAt ?? now.toISOString();
  if (Date.parse(reportedAt) > now.getTime() + 10 * 60_000) errors.push({ field: 'reportedAt', message: `${reportedAt} is in the future` });
  if (p.categoryCode !== undefined && categories && !categories.isKnown(p.categoryCode)) errors.push({ field: 'categoryCode', message: `unknown category code ${p.categoryCode}` });
  if (errors.length > 0) return { ok: false, result: invalid(errors) };
  const r = p.reporter;
  return {
    ok: true,
    file: p.file,
    draft: {
      source: 'manual',
      externalRef: null,
      title: p.title,
      description: p.description ?? '',
      address: p.address ?? null,
      location: p.location?.location ?? null,
      sourceLocation: p.location?.sourceLocation ?? null,
      urgency: p.urgency,
      categoryCode: p.categoryCode ?? null,
      sourceCategory: null,
      appealType: null,
      reporter: r ? { name: r.name ?? null, phone: r.phone ?? null, organisation: r.organisation ?? null } : null,
      attachments: p.attachments.map(toAttachment),
      sourceDeadline: null,
      sourceClocks: [],
      declaredGridCode: p.gridCode ?? null,
      reportedAt,
      sourceFields: {},
    },
  };
}

/** Enters a call in the caller's replicated transaction; refusals come back as data before any write. */
export async function manualIntake(tx: Tx, out: ReplicationOut, deps: ManualIntakeDeps, input: ManualIntakeInput): Promise<ManualIntakeResult> {
  const { actor, now, ctx } = input;
  if (!MANUAL_INTAKE_ROLES.includes(actor.role)) return { ok: false, error: { code: 'forbidden_role', message: `role ${actor.role} may not enter events` } };
  const adapted = manualDraft(input.payload, now, deps.categories);
  if (!adapted.ok) return adapted.result;
  const { draft } = adapted;
  const ref = await deps.reference(tx, now);
  const placement = placeDraft(draft, ref);
  if (!scopeCovers(actor.scope, placement.area)) {
    return { ok: false, error: { code: 'out_of_scope', message: `the event lies outside the ${actor.scope.level} scope ${actor.scope.code}` } };
  }
  let duplicates: NearDuplicate[] = [];
  if (draft.location && draft.categoryCode) {
    const at = Date.parse(draft.reportedAt);
    const span = (deps.duplicates?.windowHours ?? DEFAULT_DUPLICATE_WINDOW_HOURS) * 3_600_000;
    const near = await openEventsNear(tx, {
      lon: draft.location[0],
      lat: draft.location[1],
      radiusMetres: deps.duplicates?.radiusMetres ?? DEFAULT_DUPLICATE_RADIUS_METRES,
      from: new Date(at - span),
      to: new Date(at + span),
    });
    duplicates = findNearDuplicates(draft, near, deps.duplicates);
  }
  const prepared = prepareEvent({ draft, placement, duplicates, reporter: actor, file: adapted.file, now, ctx }, PENDING_CASE_NO);
  if (!prepared.ok) return { ok: false, error: workflowErrorToRpc(prepared.error) };
  // the first write: nothing below refuses
  const written = await insertNewEvent(tx, out, prepared.value);
  return { ok: true, value: { record: written.record, duplicateCandidates: duplicates } };
}
