/**
 * Stable error codes of the workflow rules. The UI translates them; the data
 * center returns them unchanged in `{ ok: false, error: { code, message } }`.
 */
import { z } from 'zod';
import { type RpcError } from '../errors';

export const WorkflowErrorCode = z.enum([
  /** the command failed its schema (details lists the fields) */
  'invalid_command',
  /** the actor's role may not issue this command (a wall viewer may issue none) */
  'forbidden_role',
  /** the event lies outside the actor's area scope (another town's event) */
  'out_of_scope',
  /** a unit operator acting on an event their unit is neither lead nor assisting on */
  'not_assigned_unit',
  /** an assisting unit attempting what only the lead unit (主办) may do */
  'not_lead_unit',
  /** the command is not allowed in the event's current state */
  'illegal_transition',
  /** this command needs a reason (退单、驳回、挂账、返工、撤销、督办…) */
  'missing_reason',
  /** an extension (延期) may only be requested before the deadline */
  'deadline_passed',
  /** an extension request is already waiting for a decision */
  'extension_pending',
  /** grant/refuse without a pending extension request */
  'no_pending_extension',
  /** the unit was assigned by force (强制派单) and may not bounce the event */
  'bounce_not_allowed',
  /** the category requires an on-site check (核查) before closing */
  'check_required',
  /** the target of the command is wrong: unknown clock, merge into itself, lead unit also assisting, a supervision level or rung that is not higher */
  'invalid_target',
]);
export type WorkflowErrorCode = z.infer<typeof WorkflowErrorCode>;

export interface WorkflowError {
  code: WorkflowErrorCode;
  message: string;
  details?: unknown;
}

/**
 * A workflow error as a wire error. Every workflow code is also an `ErrorCode`
 * (this function would not compile otherwise), so it crosses transports unchanged.
 */
export function workflowErrorToRpc(error: WorkflowError): RpcError {
  return error;
}
