/**
 * The intake adapters by the path segment they serve (`POST /api/v1/intake/{source}`), and
 * `adaptIntake`, the one entry point the routes and the quarantine replay use.
 */
import type { Result } from '../../../core/errors';
import type { IntakeDraft, IntakeSourceName } from '../draft';
import { type IntakeAdapter, type IntakeContext, runAdapter } from './adapter';
import { apiAdapter } from './api';
import { enterpriseAdapter } from './enterprise';
import { gridPatrolAdapter } from './grid-patrol';
import { hotline12345Adapter } from './hotline-12345';
import { oneKeyAdapter } from './one-key';
import { open311Adapter } from './open311';
import { urbanManagementAdapter } from './urban-management';

export const INTAKE_ADAPTERS: Readonly<Record<IntakeSourceName, IntakeAdapter>> = {
  api: apiAdapter,
  migrant: apiAdapter,
  gov_service: apiAdapter,
  hotline_12345: hotline12345Adapter,
  grid_patrol: gridPatrolAdapter,
  one_key: oneKeyAdapter,
  enterprise: enterpriseAdapter,
  urban_management: urbanManagementAdapter,
  open311: open311Adapter,
} as Record<IntakeSourceName, IntakeAdapter>;

/** Validates a source's payload and maps it to a draft; bad input → `invalid_args` with `details: FieldError[]`. */
export function adaptIntake(source: IntakeSourceName, payload: unknown, ctx: IntakeContext): Result<IntakeDraft> {
  return runAdapter(INTAKE_ADAPTERS[source], payload, ctx, source);
}

export { createIntakeContext, GUANGDONG_12345_POLICIES, type IntakeAdapter, type IntakeContext } from './adapter';
export { ApiPayload } from './api';
export { BASE_ITEMS, type BaseItem } from './base-items';
export { EnterprisePayload } from './enterprise';
export { GridPatrolPayload } from './grid-patrol';
export { Hotline12345Payload } from './hotline-12345';
export { OneKeyCallType, OneKeyPayload } from './one-key';
export { foldOpen311Attributes, Open311RequestPayload } from './open311';
export { UrbanManagementPayload } from './urban-management';
export { isValidUscc, usccProblem } from './uscc';
