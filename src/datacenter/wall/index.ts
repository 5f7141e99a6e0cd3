/**
 * The wall's replicated state at the data center (src/core/rpc/wall.ts): alerts
 * that take over every wall until a workstation acknowledges them, and views
 * pushed to the walls by workstations ("上大屏"). Both live in the replicated
 * `wall` table — keys `alert:<id>` and `directive:<id>`, district-wide (scope
 * null: every replica, town ones included) — so a wall anywhere (the desktop's
 * wall window, a browser kiosk on another machine) sees them through its sync
 * feed, and a workstation anywhere can acknowledge.
 *
 *  - `alertForEvent`: a one-key call (一键呼叫) or a critical event raises an
 *    alert in the transaction that creates the event (the events store calls it).
 *  - `wall/directive`: a duty officer, supervisor or admin pushes a view; the
 *    data center stamps who and when, and keeps the newest 20 directives.
 *  - `wall/ack`: the same roles acknowledge an alert, within their area scope;
 *    an unknown alert is `not_found`, a second acknowledgement `illegal_transition`.
 *
 * A wall viewer sees everything and changes nothing: both commands refuse it.
 * The wall rows have no domain table of their own: what is replicated is the
 * whole state, read back from `sync_rows` (an ack and the alert's raise in the
 * same group-commit batch cannot happen: the alert must reach a screen first).
 */
import { sql } from 'drizzle-orm';
import { fieldErrors, HuyingError, scopeCovers, type Actor, type EventRecord } from '../../core';
import { WallAlert, WallDirective, type WallAlertKind } from '../../core/rpc/wall';
import type { MutationHandler, MutationOf, MutationRegistry } from '../commands/registry';
import type { DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import type { ChangeSink } from '../sync/write';

/** who may push views to the walls and acknowledge their alerts */
export const WALL_OPERATOR_ROLES: ReadonlySet<Actor['role']> = new Set(['admin', 'supervisor', 'duty_officer']);

/** how long a workstation has to acknowledge, from the raise (the banner counts down to it) */
export const RESPOND_WITHIN_MS: Record<WallAlertKind, number> = { one_key: 3 * 60_000, critical: 10 * 60_000, manual: 10 * 60_000 };

/** directives kept in the replicated table: the newest one is what walls obey, a few more for the record */
export const DIRECTIVES_KEPT = 20;

/** The alert a new event raises, or null: one-key calls always, other sources when critical. */
export function alertForEvent(record: EventRecord, raisedAt: Date): WallAlert | null {
  const kind: WallAlertKind | null = record.source === 'one_key' ? 'one_key' : record.urgency === 'critical' ? 'critical' : null;
  if (!kind) return null;
  const area = record.workflow.area;
  return {
    id: `ev-${record.id}`,
    kind,
    eventId: record.id,
    caseNo: record.caseNo,
    title: record.title,
    address: record.address,
    location: record.location,
    townCode: area.townCode,
    gridCode: area.gridCode,
    raisedAt: raisedAt.toISOString(),
    respondBy: new Date(raisedAt.getTime() + RESPOND_WITHIN_MS[kind]).toISOString(),
    ackedAt: null,
    ackedBy: null,
  };
}

/** Raises the event's alert (if it warrants one) in the caller's replicated transaction. */
export function raiseAlertFor(out: Pick<ChangeSink, 'upsert'>, record: EventRecord, now: Date): WallAlert | null {
  const alert = alertForEvent(record, now);
  if (alert) out.upsert('wall', `alert:${alert.id}`, null, alert);
  return alert;
}

function requireOperator(actor: Actor, what: string): void {
  if (!WALL_OPERATOR_ROLES.has(actor.role)) throw new HuyingError('forbidden_role', `a ${actor.role} may not ${what}`);
}

async function wallRow(tx: DbOrTx, key: string): Promise<unknown> {
  const [r] = rowsOf<{ row: unknown }>(await tx.execute(sql`SELECT row FROM sync_rows WHERE table_name = 'wall' AND key = ${key}`));
  if (!r) return null;
  return typeof r.row === 'string' ? (JSON.parse(r.row) as unknown) : r.row;
}

export const wallDirectiveHandler: MutationHandler<MutationOf<'wall/directive'>> = async (tx, out, mutation, actor, now) => {
  requireOperator(actor, 'push a view to the walls');
  const parsed = WallDirective.safeParse({ ...mutation.directive, issuedAt: now.toISOString(), issuedBy: { id: actor.id, name: actor.name } });
  if (!parsed.success) {
    // the project's field errors (as for any refused argument), named from the mutation: directive.<path>
    const fields = fieldErrors(parsed.error).map((f) => ({ ...f, field: `directive.${f.field}` }));
    throw new HuyingError('invalid_args', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
  }
  const directive = parsed.data;
  const key = `directive:${directive.id}`;
  if ((await wallRow(tx, key)) !== null) throw new HuyingError('conflict', `directive ${directive.id} was already pushed`, { field: 'directive.id' });
  out.upsert('wall', key, null, { directive });
  // keep the newest few: walls only obey the newest
  const older = rowsOf<{ key: string }>(
    await tx.execute(sql`
      SELECT key FROM sync_rows WHERE table_name = 'wall' AND key LIKE 'directive:%'
      ORDER BY v DESC, key DESC OFFSET ${DIRECTIVES_KEPT - 1}`),
  );
  for (const r of older) out.delete('wall', r.key);
  return { directiveId: directive.id };
};

export const wallAckHandler: MutationHandler<MutationOf<'wall/ack'>> = async (tx, out, mutation, actor, now) => {
  requireOperator(actor, 'acknowledge a wall alert');
  const key = `alert:${mutation.alertId}`;
  const doc = await wallRow(tx, key);
  if (doc === null) throw new HuyingError('not_found', `no wall alert ${mutation.alertId}`, { field: 'alertId' });
  const alert = WallAlert.parse(doc);
  if (alert.ackedAt !== null) {
    throw new HuyingError('illegal_transition', `alert ${alert.id} was already acknowledged by ${alert.ackedBy?.name ?? 'someone'} at ${alert.ackedAt}`);
  }
  if (actor.scope.level !== 'district') {
    // a 15-digit grid code begins with its village's 12-digit code
    const area = { districtCode: actor.scope.code.slice(0, 6), townCode: alert.townCode, villageCode: alert.gridCode?.slice(0, 12) ?? null, gridCode: alert.gridCode };
    if (!scopeCovers(actor.scope, area)) throw new HuyingError('out_of_scope', `alert ${alert.id} is outside ${actor.name}'s area`);
  }
  const acked: WallAlert = { ...alert, ackedAt: now.toISOString(), ackedBy: { id: actor.id, name: actor.name } };
  out.upsert('wall', key, null, acked);
  return { alertId: alert.id, ackedAt: acked.ackedAt };
};

/** Adds the wall's command handlers to a registry (unless it has them). */
export function registerWallHandlers(registry: MutationRegistry): void {
  if (!registry.get('wall/directive')) registry.register('wall/directive', wallDirectiveHandler);
  if (!registry.get('wall/ack')) registry.register('wall/ack', wallAckHandler);
}
