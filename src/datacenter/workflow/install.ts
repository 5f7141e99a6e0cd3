/**
 * Puts the events store, the workflow authority, intake, the SLA scheduler and the domain
 * configuration into a data center's fastify app, in one call from `buildApp`:
 *
 * - the domain configuration (bundled documents on a new database) and its admin routes;
 * - the events store as intake's EventSink/EventReader; the intake routes (API keys per source),
 *   the quarantine admin and Open311, with the taxonomy's category resolver;
 * - the mutation handlers `event/command` and `event/intake` in the command endpoint's registry;
 * - the read endpoints `GET /api/v1/events[/:id]`;
 * - the SLA scheduler (started by `startDataCenter` once listening, stopped when the app closes)
 *   and `POST /api/v1/admin/scheduler/run`.
 */
import { registerWallHandlers } from '../wall';
import type { FastifyInstance } from 'fastify';
import { HuyingError } from '../../core/errors';
import type { Actor } from '../../core/workflow/roles';
import type { Auth } from '../auth';
import { mutationHandlers, MutationRegistry } from '../commands/registry';
import { registerConfigRoutes } from '../config/routes';
import { createDomainConfigService, type DomainConfigService } from '../config/service';
import { registerEventRoutes } from '../events/routes';
import { createEventsStore, type EventsStore } from '../events/store';
import { open311ServicesFromTaxonomy, type TaxonomyLikeNode } from '../intake/open311-routes';
import { createPlacementReferenceCache } from '../intake/reference';
import { registerIntakeRoutes } from '../intake/routes';
import { createIntakeService, type IntakeService } from '../intake/service';
import { registerSchedulerRoutes } from '../scheduler/routes';
import { createSlaScheduler, type SchedulerLogger, type SlaScheduler } from '../scheduler/scheduler';
import type { DataCenterDb } from '../store/database';
import { units } from '../store/schema';
import { writeReplicated } from '../sync/write';
import type { WriteReplicated } from '../events/replication';
import { createTxPlacementReference } from './manual-intake';
import { eventCommandHandler, eventIntakeHandler, type MutationHandler, type WorkflowMutationDeps } from './mutations';

export interface WorkflowModule {
  config: DomainConfigService;
  events: EventsStore;
  intake: IntakeService;
  scheduler: SlaScheduler;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the events store, workflow authority, intake, SLA scheduler and domain configuration (installWorkflow) */
    workflow: WorkflowModule;
  }
}

export interface WorkflowOptions {
  /** the server's clock (default: the system clock); the scheduler and intake use it */
  clock?: () => Date;
  /** between SLA scheduler runs, default 15 s */
  schedulerIntervalMs?: number;
  logger?: SchedulerLogger | null;
}

export interface InstallWorkflowOptions extends WorkflowOptions {
  store: DataCenterDb;
  auth: Pick<Auth, 'requireRole' | 'requireAdmin' | 'requireApiKey' | 'actorOf'>;
  /** the command endpoint's registry; the workflow's handlers are added unless it has them */
  registry: MutationRegistry;
  /** who is asking, for the read routes' scope (default: auth's `request.actor`) */
  actorOf?: (request: Parameters<Auth['actorOf']>[0]) => Actor | null;
}

/**
 * A registry for one app: the process-wide handlers (other modules register there), to which
 * `installWorkflow` adds its own, bound to this app's database. Two data centers in one process
 * (tests) each get their own.
 */
export function appMutationRegistry(): MutationRegistry {
  const registry = new MutationRegistry();
  for (const name of mutationHandlers.names()) registry.register(name as never, mutationHandlers.get(name)!);
  return registry;
}

/** A workflow handler (errors as data) as the registry wants it (errors thrown as HuyingError). */
function throwing<M, R>(handler: MutationHandler<M, R>) {
  return async (...args: Parameters<MutationHandler<M, R>>): Promise<R> => {
    const r = await handler(...args);
    if (!r.ok) throw new HuyingError(r.error.code, r.error.message, r.error.details);
    return r.value;
  };
}

export async function installWorkflow(app: FastifyInstance, opts: InstallWorkflowOptions): Promise<WorkflowModule> {
  const { store, auth } = opts;
  const db = store.db;
  const clock = opts.clock ?? (() => new Date());
  const write: WriteReplicated = (d, work) => writeReplicated(d, work);
  const actorOf = opts.actorOf ?? ((request) => auth.actorOf(request));

  const config = createDomainConfigService({ db, writeReplicated: write, clock });
  await config.ensureLoaded();
  const ctx = await config.current();

  const events = createEventsStore({ db, writeReplicated: write, config, clock });
  const reference = createPlacementReferenceCache(db, { clock });
  const intake = createIntakeService({ db, sink: events, reference: reference.get, clock, categories: config.categories });

  const unitNames = new Map((await db.select({ id: units.id, name: units.name }).from(units)).map((u) => [u.id, u.name]));
  registerIntakeRoutes(app, {
    service: intake,
    requireApiKey: (source) => auth.requireApiKey(source),
    requireAdmin: auth.requireAdmin,
    actorOf: (request) => actorOf(request)?.id ?? null,
    open311: {
      reader: events,
      // the services as the taxonomy stood at start-up
      services: open311ServicesFromTaxonomy(ctx.taxonomy.taxonomy.categories as unknown as TaxonomyLikeNode[]),
      unitName: (id) => unitNames.get(id) ?? null,
      clock,
    },
  });

  const deps: WorkflowMutationDeps = { config, reference: createTxPlacementReference(), categories: config.categories };
  if (!opts.registry.get('event/command')) opts.registry.register('event/command', throwing(eventCommandHandler(deps)));
  if (!opts.registry.get('event/intake')) opts.registry.register('event/intake', throwing(eventIntakeHandler(deps)));
  registerWallHandlers(opts.registry);

  registerEventRoutes(app, { store: events, requireReader: auth.requireRole('admin', 'supervisor', 'duty_officer', 'intake_agent'), actorOf });
  registerConfigRoutes(app, { config, requireAdmin: auth.requireAdmin, actorOf });

  const scheduler = createSlaScheduler({
    db,
    writeReplicated: write,
    config,
    clock,
    ...(opts.schedulerIntervalMs !== undefined ? { intervalMs: opts.schedulerIntervalMs } : {}),
    logger: opts.logger ?? null,
  });
  registerSchedulerRoutes(app, { scheduler, requireAdmin: auth.requireAdmin });
  app.addHook('onClose', async () => {
    await scheduler.stop();
  });

  const module: WorkflowModule = { config, events, intake, scheduler };
  app.decorate('workflow', module);
  return module;
}
