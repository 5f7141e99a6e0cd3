/**
 * Errors cross every process boundary as data, never as thrown exceptions:
 * `{ ok: false, error: { code, message, details? } }`. Codes are stable
 * identifiers the UI translates; `message` is for logs and engineers.
 */
import { z } from 'zod';

export const ErrorCode = z.enum([
  /** arguments failed the schema of the request */
  'invalid_args',
  /** no such request or event name in the contract */
  'unknown_method',
  /** the sender is not allowed to speak on this channel */
  'forbidden_sender',
  /** the caller's role or area scope does not allow this */
  'forbidden',
  'unauthenticated',
  /** too many attempts (login throttling): retry after `details.retryAfterSeconds` */
  'rate_limited',
  'not_found',
  /** the workflow does not allow this transition from the current state */
  'illegal_transition',
  'conflict',
  /** the data center could not be reached */
  'unavailable',
  /** the sync cursor is too old or from another epoch: re-snapshot */
  'must_refetch',
  'timeout',
  'internal',
  // workflow rule codes (src/core/workflow/errors.ts): 'illegal_transition' above and these
  'invalid_command',
  'forbidden_role',
  'out_of_scope',
  'not_assigned_unit',
  'not_lead_unit',
  'missing_reason',
  'deadline_passed',
  'extension_pending',
  'no_pending_extension',
  'bounce_not_allowed',
  'check_required',
  'invalid_target',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const RpcErrorSchema = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type RpcError = z.infer<typeof RpcErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: RpcError };

/** An error a handler throws on purpose; transports turn it into `{ ok: false, error }`. */
export class HuyingError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'HuyingError';
    this.code = code;
    this.details = details;
  }
}

/** Normalises anything thrown into wire-safe error data. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof HuyingError) {
    return err.details === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, details: err.details };
  }
  if (err instanceof z.ZodError) {
    return { code: 'invalid_args', message: formatZodError(err), details: err.issues.map(issueToField) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}

export interface FieldError {
  /** dotted path of the bad field, e.g. `location.lon` */
  field: string;
  message: string;
}

function issueToField(issue: z.core.$ZodIssue): FieldError {
  return { field: issue.path.map(String).join('.') || '(root)', message: issue.message };
}

export function fieldErrors(err: z.ZodError): FieldError[] {
  return err.issues.map(issueToField);
}

export function formatZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
