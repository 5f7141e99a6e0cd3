/**
 * Intake from source systems: adapters that validate and normalise each source's payload into an
 * `IntakeDraft` (with field-level errors), coordinate conversion to WGS84, placement in a base
 * grid by a spatial index, near-duplicate suggestions, the pipeline with its quarantine and
 * claim-once external references, and the HTTP routes (intake, quarantine admin, Open311).
 * See docs/intake.md.
 */
export * from './draft';
export * from './coords';
export * from './categories';
export * from './grid-locator';
export * from './duplicates';
export * from './sources/index';
export { parseSourceInstant, toAttachment } from './fields';
export { canonicalJson, decodeBody, parseForm, payloadHash, type DecodedBody, type RawBody } from './body';
export * from './event-sink';
export * from './reference';
export * from './service';
export * from './routes';
export * from './open311-routes';
