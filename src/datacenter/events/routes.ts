/**
 * Read endpoints over the events store for admins and tools (desktops read their replica):
 *
 * - `GET /api/v1/events` — filters `status`, `source`, `town`, `category` (comma-separated lists;
 *   a category matches its whole branch), `since` / `until` (report time: ISO 8601 instants, or
 *   `YYYY-MM-DD` for a local day's start), `externalSystem` + `externalId`; newest first,
 *   `limit` (default 50, at most 500) and `cursor` (the previous page's `nextCursor`).
 * - `GET /api/v1/events/:id` — one event (by id or case number) with its audit timeline, the
 *   intake facts and the scheduler's next check.
 *
 * A reader sees what their scope reaches: town and village accounts their own area, unit
 * operators the events their unit leads or assists; district accounts everything.
 */
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import { HuyingError } from '../../core/errors';
import { EventSource, type EventRecord } from '../../core/events/types';
import { scopeCovers, type Actor } from '../../core/workflow/roles';
import { EventStatus } from '../../core/workflow/states';
import type { EventFilter, EventsStore } from './store';

export type PreHandler = NonNullable<RouteShorthandOptions['preHandler']>;

export interface EventRoutesDeps {
  store: EventsStore;
  /** auth hook for these routes (e.g. roles admin, supervisor, duty officer); absent: open */
  requireReader?: PreHandler;
  /** the authenticated actor, whose scope limits what is listed; null: no limit */
  actorOf?: (request: FastifyRequest) => Actor | null;
}

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
    z.array(item).min(1, 'give at least one value'),
  );

const LocalDay = /^\d{4}-\d{2}-\d{2}$/;
const Instant = z.string().transform((s, ctx) => {
  const ms = LocalDay.test(s) ? Date.parse(`${s}T00:00:00+08:00`) : z.iso.datetime({ offset: true }).safeParse(s).success ? Date.parse(s) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 instant with offset, or YYYY-MM-DD (China Standard Time)' });
    return z.NEVER;
  }
  return new Date(ms);
});

export const EventListQuery = z
  .object({
    status: csv(EventStatus).optional(),
    source: csv(EventSource).optional(),
    town: csv(z.string().regex(/^\d{12}$/, 'expected a 12-digit town code')).optional(),
    category: csv(z.string().regex(/^\d{2,12}$/, 'expected a taxonomy code')).optional(),
    since: Instant.optional(),
    until: Instant.optional(),
    externalSystem: z.string().min(1).optional(),
    externalId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().min(1).optional(),
  })
  .refine((q) => (q.externalId === undefined) || q.externalSystem !== undefined, { path: ['externalId'], message: 'externalId needs externalSystem' });

/** What a reader's scope adds to the filter. */
function scopeFilter(actor: Actor | null): Pick<EventFilter, 'scopeTowns' | 'village' | 'unit'> {
  if (!actor || actor.role === 'system') return {};
  if (actor.role === 'unit_operator') return { unit: actor.organisationId };
  switch (actor.scope.level) {
    case 'district':
      return {};
    case 'town':
      return { scopeTowns: [actor.scope.code] };
    case 'village':
      return { village: actor.scope.code };
  }
}

function mayRead(actor: Actor | null, record: EventRecord): boolean {
  if (!actor || actor.role === 'system') return true;
  if (actor.role === 'unit_operator') {
    const wf = record.workflow;
    return wf.leadUnitId === actor.organisationId || wf.assistingUnitIds.includes(actor.organisationId);
  }
  return scopeCovers(actor.scope, record.workflow.area);
}

export function registerEventRoutes(app: FastifyInstance, deps: EventRoutesDeps): void {
  const opts = deps.requireReader ? { preHandler: deps.requireReader } : {};
  const actorOf = deps.actorOf ?? (() => null);

  app.get('/api/v1/events', opts, async (request) => {
    const q = EventListQuery.parse(request.query ?? {});
    const page = await deps.store.queryEvents(
      {
        ...(q.status ? { status: q.status } : {}),
        ...(q.source ? { source: q.source } : {}),
        ...(q.town ? { town: q.town } : {}),
        ...(q.category ? { category: q.category } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
        ...(q.externalSystem ? { externalSystem: q.externalSystem } : {}),
        ...(q.externalId ? { externalId: q.externalId } : {}),
        ...scopeFilter(actorOf(request)),
      },
      { limit: q.limit, cursor: q.cursor ?? null },
    );
    return { ok: true, value: page };
  });

  app.get<{ Params: { id: string } }>('/api/v1/events/:id', opts, async (request) => {
    const found = await deps.store.getEventWithTimeline(request.params.id);
    if (!found) throw new HuyingError('not_found', `no event ${request.params.id}`);
    if (!mayRead(actorOf(request), found.event)) throw new HuyingError('out_of_scope', `event ${found.event.caseNo} is outside your scope`);
    return { ok: true, value: found };
  });
}
