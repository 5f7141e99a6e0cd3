/** Shared helpers of the adapter tests (not shipped: imported by *.test.ts only). */
import { expect } from 'vitest';
import type { FieldError, Result } from '../../../core/errors';
import type { IntakeDraft } from '../draft';

export const NOW = new Date('2025-11-26T08:00:00.000Z');

export function ok(r: Result<IntakeDraft>): IntakeDraft {
  if (!r.ok) throw new Error(`expected a draft, got ${r.error.message}`);
  return r.value;
}

/** The field errors of a refused payload (fails the test when the payload was accepted). */
export function fieldsOf(r: Result<IntakeDraft>): FieldError[] {
  expect(r.ok, 'payload should be refused').toBe(false);
  if (r.ok) return [];
  expect(r.error.code).toBe('invalid_args');
  return r.error.details as FieldError[];
}

/** Asserts that the payload was refused with an error on exactly `field` (among possibly others). */
export function expectFieldError(r: Result<IntakeDraft>, field: string, message?: RegExp): void {
  const errors = fieldsOf(r);
  const hit = errors.find((e) => e.field === field && (!message || message.test(e.message)));
  expect(hit, `expected an error on ${field}${message ? ` matching ${message}` : ''}, got ${JSON.stringify(errors)}`).toBeDefined();
}
