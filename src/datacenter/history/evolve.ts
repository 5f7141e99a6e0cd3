/**
 * One past event, from its source's payload to where it stands today, as the data center would
 * have recorded it: the payload goes through the source's real adapter (validation, coordinate
 * conversion, category mapping), is placed in its grid, becomes a record with its `report` (and
 * for patrols and 数字城管, `file`) entries exactly as intake writes them (`prepareEvent`), and is
 * then walked forward by the simulator's behaviour policy, each step decided by core `decide`
 * for the actor of the right role. Between steps the SLA scheduler is replayed: at every instant
 * `nextAutomaticCheckAt` names, the commands `dueAutomaticCommands` gives are decided for the
 * system actor, so overdue events carry the supervision (and ladder climbs) the scheduler would
 * have raised, at the time it would have raised them. Steps later than `now` do not happen: the
 * recent events are still open, as on a real day.
 *
 * Pure (no database): the generator batches the results.
 */
import type { EventRecord } from '../../core/events/types';
import { dueAutomaticCommands, nextAutomaticCheckAt } from '../../core/workflow/automation';
import { decide } from '../../core/workflow/decide';
import type { DomainConfig } from '../../core/workflow/domain-config';
import type { AuditEntry } from '../../core/workflow/event';
import { systemActor } from '../../core/workflow/roles';
import { PENDING_CASE_NO, prepareEvent } from '../events/create';
import { filesOnIntake, sourceActor } from '../events/intake-policy';
import { payloadHash } from '../intake/body';
import type { CategoryResolver } from '../intake/categories';
import type { PlacementReference } from '../intake/reference';
import { placeDraft } from '../intake/service';
import { adaptIntake, createIntakeContext, type IntakeContext } from '../intake/sources/index';
import type { EventIntakeFacts } from '../store/events-schema';
import { defaultDispatchClocks } from '../workflow/authority';
import type { SimActors } from '../simulator/actors';
import { arrivalTables, describeArrival, type ArrivalTables, type ArrivalTime } from '../simulator/arrivals';
import { drawTraits, nextAction, type BehaviourContext } from '../simulator/behaviour';
import { buildPayload, type CategoryNames } from '../simulator/payloads';
import { simStream } from '../simulator/random';
import type { SimWorld } from '../simulator/world';

export interface EvolveContext {
  seed: number;
  /** keeps external references of this generation apart from other runs */
  tag: string;
  now: Date;
  ctx: DomainConfig;
  world: SimWorld;
  tables: ArrivalTables;
  reference: PlacementReference;
  categories: CategoryResolver;
  names: CategoryNames;
  actors: SimActors;
  behaviour: BehaviourContext;
  /** the adapters' context (its `now` is replaced per event) */
  intake: IntakeContext;
}

/** A past event ready to be written (its case number is given when it is written). */
export interface EvolvedEvent {
  record: EventRecord;
  entries: AuditEntry[];
  facts: EventIntakeFacts;
  nextCheckAt: Date | null;
  /** the intake claim of its external reference */
  ref: { system: string; refId: string; source: string; payloadHash: string } | null;
  /** the local (UTC+8) day of its creation, YYYYMMDD, for its case number */
  day: string;
  /** commands refused by decide on the way (should stay 0: the policy only plans legal steps) */
  refused: number;
}

export function createEvolveContext(input: Omit<EvolveContext, 'tables' | 'intake'>): EvolveContext {
  return { ...input, tables: arrivalTables(input.world), intake: createIntakeContext({ now: input.now, categories: input.categories }) };
}

const localDay = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');

/**
 * The event's id: its stream's UUID with the arrival number as the last group. The per-event
 * streams have 32-bit seeds, so among 10^6 events about a hundred pairs share a stream (and drew
 * the same UUID: the 10^6-event benchmark history failed on events_pkey); the index keeps them apart.
 */
function eventId(uuid: string, index: number): string {
  return `${uuid.slice(0, 24)}${index.toString(16).padStart(12, '0')}`;
}

/** Evolves arrival number `index`; null when the adapter refused its payload (it never does for the generator's own). */
export function evolveEvent(time: ArrivalTime, index: number, e: EvolveContext): EvolvedEvent | null {
  const rng = simStream(e.seed, `event:${index}`);
  const facts = describeArrival(time, index, rng, e.world, e.tables);
  const payload = buildPayload(facts, rng, { names: e.names, districtCode: e.world.districtCode, tag: e.tag });
  const createdAt = new Date(time.at.getTime() + rng.int(1, 20) * 1000);
  const decoded = JSON.parse(payload.body.text) as Record<string, unknown>;
  const adapted = adaptIntake(payload.path, decoded, { ...e.intake, now: createdAt });
  if (!adapted.ok) return null;
  const draft = adapted.value;
  const placement = placeDraft(draft, e.reference);
  const prepared = prepareEvent(
    { draft, placement, duplicates: [], reporter: sourceActor(draft.source, e.reference.districtCode), file: filesOnIntake(draft), now: createdAt, ctx: e.ctx, id: eventId(rng.uuid(), index) },
    PENDING_CASE_NO,
  );
  if (!prepared.ok) return null;
  let { record } = prepared.value;
  const entries = [...prepared.value.entries];
  const intake = prepared.value.facts;
  const traits = drawTraits(rng, { source: record.source, outsideDistrict: record.outsideDistrict, aiAlarm: draft.sourceFields.aiAlarm === true }, facts.categoryCode);
  const nowMs = e.now.getTime();
  const system = systemActor(e.reference.districtCode);
  let t = createdAt;
  let refused = 0;

  const apply = (command: Parameters<typeof decide>[1], actor: Parameters<typeof decide>[2], at: Date): boolean => {
    const d = decide(record.workflow, command, actor, at, e.ctx);
    if (!d.ok) {
      refused++;
      return false;
    }
    record = { ...record, workflow: d.next };
    entries.push(d.audit);
    return true;
  };

  for (let steps = 0; steps < 60; steps++) {
    const action = nextAction(record, traits, rng, t, e.behaviour);
    const until = Math.min(action ? action.at.getTime() : nowMs, nowMs);
    // the SLA scheduler's runs between now and the next step
    for (let guard = 0; guard < 40; guard++) {
      const check = nextAutomaticCheckAt(record.workflow, t, e.ctx);
      if (!check || check.getTime() > until) break;
      const at = check.getTime() > t.getTime() ? check : new Date(t.getTime() + 1);
      for (const command of dueAutomaticCommands(record.workflow, at, e.ctx)) apply(command, system, at);
      t = at;
    }
    if (!action || action.at.getTime() > nowMs) break;
    let command = action.command;
    if (command.type === 'dispatch' && record.workflow.firstDispatchedAt === null && (command.clocks ?? []).length === 0) {
      command = { ...command, clocks: defaultDispatchClocks(record, intake, e.ctx) };
    }
    const at = action.at.getTime() > t.getTime() ? action.at : new Date(t.getTime() + 1000);
    if (!apply(command, e.actors.actor(action.role, action.unitId), at)) break;
    t = at;
  }

  return {
    record,
    entries,
    facts: intake,
    nextCheckAt: nextAutomaticCheckAt(record.workflow, e.now, e.ctx),
    ref: draft.externalRef ? { system: draft.externalRef.system, refId: draft.externalRef.id, source: payload.path, payloadHash: payloadHash(decoded) } : null,
    day: localDay(createdAt),
    refused,
  };
}
