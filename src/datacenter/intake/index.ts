/**
 * Intake from source systems: adapters that validate and normalise each source's payload into an
 * `IntakeDraft` (with field-level errors), coordinate conversion to WGS84, placement in a base
 * grid by a spatial index, and near-duplicate suggestions. Pure; the HTTP routes, quarantine and
 * the store come on top (see docs/intake.md).
 */
export * from './draft';
export * from './coords';
export * from './categories';
export * from './grid-locator';
export * from './duplicates';
export * from './sources/index';
export { parseSourceInstant, toAttachment } from './fields';
