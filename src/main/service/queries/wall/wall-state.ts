/**
 * wall/state: the alerts and the newest directive for one wall, read from the
 * replicated `wall` table (keys `alert:<id>` and `directive:<id>`), with this
 * desktop's own unsettled commands laid over it so the wall window of the same
 * app follows a workstation at once, offline included: a queued `wall/directive`
 * is already the newest directive, a queued `wall/ack` already acknowledges
 * its alert. The replicated row later arrives with the same id.
 *
 * Alerts shown: unacknowledged ones, and those acknowledged in the last 10
 * minutes, newest first. Rows that do not parse are skipped (the data center
 * is the authority on their content).
 */
import type { ParsedArgs } from '../../../../core/index';
import { WallAlert, WallDirective, type WallState } from '../../../../core/rpc/wall';
import type { QueryContext } from '../context';

const RECENT_ACK_MS = 10 * 60_000;

export function wallState(ctx: QueryContext, args: ParsedArgs<'wall/state'>): WallState {
  const now = ctx.now();
  const checkpoint = ctx.checkpoint();
  const alerts = new Map<string, WallAlert>();
  const directives: WallDirective[] = [];
  for (const r of ctx.all<{ key: string; kind: string | null; doc: string }>("SELECT key, kind, doc FROM wall WHERE key LIKE 'alert:%' OR key LIKE 'directive:%'")) {
    const doc = JSON.parse(r.doc) as unknown;
    if (r.key.startsWith('alert:')) {
      const a = WallAlert.safeParse(doc);
      if (a.success) alerts.set(a.data.id, a.data);
    } else {
      const d = WallDirective.safeParse((doc as { directive?: unknown }).directive ?? doc);
      if (d.success) directives.push(d.data);
    }
  }
  const user = ctx.deps.user();
  for (const o of ctx.all<{ mutation: string; created_at: string }>(
    "SELECT mutation, created_at FROM outbox WHERE state IN ('queued', 'sent') AND (mutation LIKE '%\"wall/directive\"%' OR mutation LIKE '%\"wall/ack\"%') ORDER BY mutation_id",
  )) {
    const m = JSON.parse(o.mutation) as { name: string; directive?: unknown; alertId?: string };
    if (m.name === 'wall/directive') {
      const d = WallDirective.safeParse(m.directive);
      if (d.success && !directives.some((x) => x.id === d.data.id)) directives.push(d.data);
    } else if (m.name === 'wall/ack' && m.alertId) {
      const a = alerts.get(m.alertId);
      if (a && a.ackedAt === null) alerts.set(a.id, { ...a, ackedAt: o.created_at, ackedBy: user ? { id: user.id, name: user.name } : null });
    }
  }
  const shown = [...alerts.values()]
    .filter((a) => a.ackedAt === null || now - Date.parse(a.ackedAt) <= RECENT_ACK_MS)
    .sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
  const mine = directives
    .filter((d) => d.walls === 'all' || d.walls.includes(args.wallId))
    .sort((a, b) => Date.parse(b.issuedAt) - Date.parse(a.issuedAt));
  return { alerts: shown, directive: mine[0] ?? null, checkpoint };
}
