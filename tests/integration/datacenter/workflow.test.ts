/**
 * The workflow authority on PGlite and PostgreSQL, through its mutation handlers (`event/command`,
 * `event/intake`) inside the change log's transactions: an event taken in by intake runs the whole
 * five-step loop with lead and assisting units, a failed check and rework, closing and the
 * call-back; every command is checked for role and scope on the server (a wall viewer cannot
 * dispatch, a town officer cannot touch another town's events, a payload cannot name its actor),
 * refusals carry decide's stable codes and write nothing; merges update their target; two
 * commands on one event at once are decided one after the other.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../../src/core/errors';
import type { EventRecord } from '../../../src/core/events/types';
import type { Mutation } from '../../../src/core/sync/protocol';
import type { CommandInput } from '../../../src/core/workflow/commands';
import type { AuditEntry } from '../../../src/core/workflow/event';
import type { Actor } from '../../../src/core/workflow/roles';
import { writeReplicated } from '../../../src/datacenter/sync/write';
import {
  eventCommandHandler,
  eventIntakeHandler,
  type EventCommandResult,
  type EventIntakeResult,
  type WorkflowMutationDeps,
} from '../../../src/datacenter/workflow/mutations';
import { createTxPlacementReference } from '../../../src/datacenter/workflow/manual-intake';
import { actors, DEPT, DEPT_2, expectCreated, GRID_A, GRID_B, hotlineOrder, HARNESS_TIMEOUT_MS, openHarness, patrolReport, TOWN_A, type Harness } from './events-fixtures';
import { forEachBackend } from './backends';

forEachBackend('workflow authority', (backend) => {
  let h: Harness;
  let deps: WorkflowMutationDeps;

  beforeAll(async () => {
    h = await openHarness(backend);
    deps = { config: h.config, reference: createTxPlacementReference(), categories: h.config.categories };
  }, HARNESS_TIMEOUT_MS);

  /** one pushed mutation, as the command endpoint runs it: in its own replicated transaction */
  async function mutate(mutation: Mutation, who: Actor, at?: Date): Promise<Result<EventCommandResult | EventIntakeResult>> {
    const now = at ?? h.now;
    const { result } = await writeReplicated(h.store.db, async (tx, out) => {
      if (mutation.name === 'event/command') return eventCommandHandler(deps)(tx, out, mutation, who, now);
      if (mutation.name === 'event/intake') return eventIntakeHandler(deps)(tx, out, mutation, who, now);
      throw new Error(`not a workflow mutation: ${mutation.name}`);
    });
    return result;
  }
  const cmd = (eventId: string, command: CommandInput, who: Actor, at?: Date) => mutate({ name: 'event/command', eventId, command: command as never }, who, at);

  async function expectOk(r: Promise<Result<unknown>>): Promise<void> {
    const v = await r;
    if (!v.ok) throw new Error(`expected the command to pass, got ${v.error.code}: ${v.error.message}`);
  }
  async function expectRefused(r: Promise<Result<unknown>>, code: string): Promise<void> {
    const v = await r;
    expect(v.ok ? 'ok' : v.error.code).toBe(code);
  }

  const timeline = async (id: string) => (await h.events.getEventWithTimeline(id))!;
  const counts = async () => (await h.rows<{ events: number; audit: number; log: number }>(sql`select (select count(*)::int from events) as events, (select count(*)::int from audit) as audit, (select count(*)::int from change_log) as log`))[0]!;

  describe('the five-step loop', () => {
    let id: string;

    it('intake → verify → file → dispatch with lead and assisting units and the default clocks', async () => {
      id = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-LOOP-1'))).eventId;
      await expectOk(cmd(id, { type: 'verify' }, actors.agent));
      await expectOk(cmd(id, { type: 'file', categoryCode: '0702' }, actors.desk));
      await expectOk(cmd(id, { type: 'dispatch', leadUnitId: DEPT, assistingUnitIds: [DEPT_2] }, actors.desk, new Date('2025-11-26T03:00:00Z')));
      const e = (await timeline(id)).event;
      expect(e.workflow.status).toBe('dispatched');
      expect(e.workflow.leadUnitId).toBe(DEPT);
      expect(e.workflow.assistingUnitIds).toEqual([DEPT_2]);
      // the 12345 complaint's own hotline clock (15 working days) and the category's internal clock (0702: 3 working days)
      expect(e.workflow.clocks.map((c) => [c.id, c.kind])).toEqual([
        ['hotline', 'hotline'],
        ['internal', 'internal'],
      ]);
      expect(e.workflow.firstDispatchedAt).toBe('2025-11-26T03:00:00.000Z');
      const [row] = await h.rows<{ next_check_at: string | null; lead_unit: string }>(sql`select next_check_at, lead_unit from events where id = ${id}`);
      expect(row!.lead_unit).toBe(DEPT);
      expect(row!.next_check_at).not.toBeNull();
    });

    it('the units sign and handle their parts; the check fails once, rework, then passes; close and call-back', async () => {
      await expectOk(cmd(id, { type: 'sign' }, actors.unit));
      await expectOk(cmd(id, { type: 'sign' }, actors.unit2));
      await expectOk(cmd(id, { type: 'start' }, actors.unit));
      await expectOk(cmd(id, { type: 'handle', feedback: '协办部门已配合执法' }, actors.unit2));
      await expectOk(cmd(id, { type: 'handle', feedback: '已责令停止夜间施工' }, actors.unit));
      await expectOk(cmd(id, { type: 'request_check' }, actors.supervisor));
      await expectOk(cmd(id, { type: 'check_fail', reason: '现场仍有施工噪音' }, actors.supervisor));
      expect((await timeline(id)).event.workflow.status).toBe('rework');
      await expectOk(cmd(id, { type: 'handle', feedback: '已没收设备' }, actors.unit));
      await expectOk(cmd(id, { type: 'request_check' }, actors.supervisor));
      await expectOk(cmd(id, { type: 'check_pass' }, actors.supervisor));
      await expectOk(cmd(id, { type: 'close' }, actors.desk));
      await expectOk(cmd(id, { type: 'evaluate', satisfaction: 'satisfied', callbackNote: '群众满意' }, actors.agent));

      const { event, audit } = await timeline(id);
      expect(event.workflow.status).toBe('evaluated');
      expect(event.workflow.reworkCount).toBe(1);
      expect(event.workflow.evaluation?.level).toBe('satisfied');
      expect(event.workflow.unitProgress.map((p) => [p.unitId, p.role, p.signedAt !== null, p.handledAt !== null])).toEqual([
        [DEPT, 'lead', true, true],
        [DEPT_2, 'assisting', true, true],
      ]);
      expect(event.workflow.clocks.every((c) => c.stoppedAt !== null)).toBe(true);
      expect(audit.map((a) => a.command)).toEqual([
        'report', 'verify', 'file', 'dispatch', 'sign', 'sign', 'start', 'handle', 'handle', 'request_check', 'check_fail', 'handle', 'request_check', 'check_pass', 'close', 'evaluate',
      ]);
      // an unbroken chain: seq 1..n, each entry starting where the previous ended
      audit.forEach((a, i) => {
        expect(a.seq).toBe(i + 1);
        if (i > 0) expect(a.from).toBe(audit[i - 1]!.to);
      });
      expect(audit.find((a) => a.command === 'check_fail')).toMatchObject({ actorId: 'u-sup', role: 'supervisor', reason: '现场仍有施工噪音' });
      expect(event.workflow.version).toBe(audit.length);
      // finished: the scheduler no longer looks at it
      const [row] = await h.rows<{ next_check_at: string | null; status: string }>(sql`select next_check_at, status from events where id = ${id}`);
      expect(row).toEqual({ next_check_at: null, status: 'evaluated' });
      // every audit row reached the change log
      const logged = await h.rows<{ n: number }>(sql`select count(distinct key)::int as n from change_log where table_name = 'audit' and key like ${`${id}:%`}`);
      expect(logged[0]!.n).toBe(audit.length);
    });

    it('bounce with a reason code, forced assignment, extension before the deadline, supervision and the ladder, park and unpark', async () => {
      const e = expectCreated(await h.submit('grid_patrol', patrolReport('GP-SIDE-1'))).eventId;
      await expectOk(cmd(e, { type: 'dispatch', leadUnitId: DEPT }, actors.desk));
      await expectOk(cmd(e, { type: 'bounce', reasonCode: 'not_our_responsibility' }, actors.unit));
      await expectOk(cmd(e, { type: 'force_assign', leadUnitId: DEPT, reason: '按责领单' }, actors.supervisor));
      await expectRefused(cmd(e, { type: 'bounce', reasonCode: 'beyond_capacity' }, actors.unit), 'bounce_not_allowed');
      await expectOk(cmd(e, { type: 'sign' }, actors.unit));
      await expectOk(cmd(e, { type: 'request_extension', duration: { unit: 'working_days', amount: 2 }, reason: '需协调环卫车辆' }, actors.unit));
      await expectRefused(cmd(e, { type: 'request_extension', duration: { unit: 'working_days', amount: 1 }, reason: '再延' }, actors.unit), 'extension_pending');
      await expectOk(cmd(e, { type: 'grant_extension' }, actors.supervisor));
      await expectRefused(cmd(e, { type: 'supervise', level: 2, reason: '群众反映强烈' }, actors.desk), 'forbidden_role');
      await expectOk(cmd(e, { type: 'supervise', level: 2, reason: '群众反映强烈' }, actors.supervisor));
      await expectOk(cmd(e, { type: 'escalate', reason: '网格呼' }, actors.desk));
      await expectOk(cmd(e, { type: 'park', reason: '待雨季结束' }, actors.supervisor));
      await expectOk(cmd(e, { type: 'unpark' }, actors.supervisor));
      const { event, audit } = await timeline(e);
      expect(event.workflow).toMatchObject({ status: 'signed', forcedAssignment: true, bounceCount: 1, extensionsGranted: 1, supervision: { level: 2 }, escalation: { rung: 'grid' } });
      expect(event.workflow.clocks.map((c) => c.id)).toEqual(['urban', 'internal']);
      expect(event.workflow.clocks[0]!.extensions).toHaveLength(1);
      expect(audit.find((a) => a.command === 'bounce')).toMatchObject({ reasonCode: 'not_our_responsibility', actorId: 'u-unit' });
      const [row] = await h.rows<{ supervision_level: number }>(sql`select supervision_level from events where id = ${e}`);
      expect(row!.supervision_level).toBe(2);
    });
  });

  describe('role and scope on the server', () => {
    let inA: string;
    let inB: string;
    beforeAll(async () => {
      inA = expectCreated(await h.submit('grid_patrol', patrolReport('GP-SCOPE-A', GRID_A))).eventId;
      inB = expectCreated(await h.submit('grid_patrol', patrolReport('GP-SCOPE-B', GRID_B))).eventId;
    });

    it('a wall viewer cannot dispatch, even with an actor forged into the payload; nothing is written', async () => {
      const before = await counts();
      const forged = { name: 'event/command', eventId: inA, command: { type: 'dispatch', leadUnitId: DEPT, actor: actors.admin }, actor: actors.admin } as unknown as Mutation;
      await expectRefused(mutate(forged, actors.wall), 'forbidden_role');
      await expectRefused(cmd(inA, { type: 'supervise', level: 1, reason: 'x' }, actors.wall), 'forbidden_role');
      const after = await counts();
      expect({ events: after.events, audit: after.audit, log: after.log }).toEqual(before);
      expect((await h.events.getEvent(inA))!.workflow.status).toBe('filed');
    });

    it("a town officer works their own town's events and cannot touch another town's", async () => {
      expect(GRID_A.townCode).toBe(TOWN_A);
      await expectRefused(cmd(inB, { type: 'dispatch', leadUnitId: DEPT }, actors.townA), 'out_of_scope');
      await expectRefused(cmd(inB, { type: 'cancel', reason: '重复' }, actors.townA), 'out_of_scope');
      await expectOk(cmd(inA, { type: 'dispatch', leadUnitId: DEPT }, actors.townA));
      await expectRefused(cmd(inA, { type: 'reassign', leadUnitId: DEPT_2, reason: 'x' }, actors.townB), 'out_of_scope');
    });

    it('units act only on what is theirs; stable codes for every other mistake', async () => {
      await expectRefused(cmd(inA, { type: 'sign' }, actors.unit2), 'not_assigned_unit');
      await expectOk(cmd(inA, { type: 'reassign', leadUnitId: DEPT, assistingUnitIds: [DEPT_2], reason: '增加协办' }, actors.desk));
      await expectRefused(cmd(inA, { type: 'bounce', reasonCode: 'duplicate' }, actors.unit2), 'not_lead_unit');
      await expectRefused(cmd(inA, { type: 'close' }, actors.desk), 'illegal_transition');
      await expectRefused(cmd(inA, { type: 'cancel' }, actors.desk), 'missing_reason');
      await expectRefused(cmd(inA, { type: 'fly' } as unknown as CommandInput, actors.desk), 'invalid_command');
      await expectRefused(cmd('no-such-event', { type: 'verify' }, actors.desk), 'not_found');
      await expectRefused(cmd(inA, { type: 'dispatch', leadUnitId: DEPT, assistingUnitIds: [DEPT] }, actors.desk), 'illegal_transition');
    });
  });

  describe('merge', () => {
    it("merges a duplicate into its target: the duplicate ends merged, the target's trail records it", async () => {
      const target = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-MERGE-1', GRID_B))).eventId;
      const dup = await h.submit('hotline_12345', hotlineOrder('GZ-MERGE-2', GRID_B, { acceptedAt: '2025-11-26 09:30:00' }));
      if (dup.kind !== 'created') throw new Error('not created');
      expect(dup.duplicateCandidates.map((d) => d.eventId)).toContain(target);
      await expectRefused(cmd(dup.eventId, { type: 'merge', intoEventId: target }, actors.townA), 'out_of_scope');
      await expectOk(cmd(dup.eventId, { type: 'merge', intoEventId: target, reason: '同一工地' }, actors.desk));
      const d = await timeline(dup.eventId);
      const t = await timeline(target);
      expect(d.event.workflow).toMatchObject({ status: 'merged', mergedInto: target });
      expect(t.audit.at(-1)).toMatchObject({ command: 'merge_in', from: 'reported', to: 'reported', actorId: 'u-desk', payload: { duplicateEventId: dup.eventId } });
      expect(t.event.workflow.version).toBe(t.audit.length);
      // another duplicate may not be merged into a merged event, nor into one that does not exist
      const third = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-MERGE-3', GRID_B))).eventId;
      await expectRefused(cmd(third, { type: 'merge', intoEventId: dup.eventId }, actors.desk), 'invalid_target');
      await expectRefused(cmd(third, { type: 'merge', intoEventId: 'nope' }, actors.desk), 'invalid_target');
      await expectRefused(cmd(third, { type: 'merge', intoEventId: third }, actors.desk), 'invalid_target');
    });
  });

  describe('manual intake (event/intake)', () => {
    it('an intake agent enters a call: placed, reported by them; filed at once when asked', async () => {
      const r = await mutate({ name: 'event/intake', event: { title: '路灯不亮', location: { lon: GRID_A.labelPoint[0], lat: GRID_A.labelPoint[1] }, categoryCode: '040202', reporter: { name: '黄先生', phone: '13600001234' } } }, actors.agent);
      if (!r.ok) throw new Error(r.error.message);
      const created = r.value as EventIntakeResult;
      expect(created).toMatchObject({ status: 'reported', outsideDistrict: false });
      const { event, audit } = await timeline(created.eventId);
      expect(event).toMatchObject({ source: 'manual', externalRef: null, reporter: { name: '黄先生' } });
      expect(event.workflow.area.gridCode).toBe(GRID_A.code);
      expect(audit.map((a: AuditEntry) => [a.command, a.actorId, a.role])).toEqual([['report', 'u-agent', 'intake_agent']]);

      const filed = await mutate({ name: 'event/intake', event: { title: '井盖缺失', gridCode: GRID_A.code, categoryCode: '040201', file: true } }, actors.townA);
      if (!filed.ok) throw new Error(filed.error.message);
      const f = await timeline((filed.value as EventIntakeResult).eventId);
      expect(f.event.workflow.status).toBe('filed');
      expect(f.audit.map((a) => [a.command, a.actorId])).toEqual([
        ['report', 'u-town-a'],
        ['file', 'u-town-a'],
      ]);
    });

    it('refuses the wrong role, the wrong town and bad fields, writing nothing', async () => {
      const before = await counts();
      const at = { lon: GRID_A.labelPoint[0], lat: GRID_A.labelPoint[1] };
      await expectRefused(mutate({ name: 'event/intake', event: { title: 'x', location: at } }, actors.wall), 'forbidden_role');
      await expectRefused(mutate({ name: 'event/intake', event: { title: 'x', location: at } }, actors.unit), 'forbidden_role');
      await expectRefused(mutate({ name: 'event/intake', event: { title: 'x', location: at } }, actors.townB), 'out_of_scope');
      const bad = await mutate({ name: 'event/intake', event: { location: { lon: 'east', lat: 23.4 }, categoryCode: '9999' } }, actors.agent);
      expect(bad.ok).toBe(false);
      if (!bad.ok) {
        expect(bad.error.code).toBe('invalid_args');
        expect((bad.error.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['location.lon', 'title']);
      }
      const unknownCategory = await mutate({ name: 'event/intake', event: { title: 'x', categoryCode: '9999' } }, actors.agent);
      expect(unknownCategory.ok ? null : unknownCategory.error.details).toEqual([{ field: 'categoryCode', message: 'unknown category code 9999' }]);
      const after = await counts();
      expect({ events: after.events, audit: after.audit, log: after.log }).toEqual(before);
    });
  });

  describe('concurrency', () => {
    it('two commands on one event at once: one wins, the other is decided on the new state', async () => {
      for (let round = 0; round < 3; round++) {
        const e = expectCreated(await h.submit('grid_patrol', patrolReport(`GP-RACE-${round}`))).eventId;
        await expectOk(cmd(e, { type: 'dispatch', leadUnitId: DEPT }, actors.desk));
        const [sign, bounce] = await Promise.all([cmd(e, { type: 'sign' }, actors.unit), cmd(e, { type: 'bounce', reasonCode: 'wrong_location' }, actors.unit)]);
        const results = [sign, bounce];
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const loser = results.find((r) => !r.ok)!;
        expect(loser.ok ? null : loser.error.code).toBe('illegal_transition');
        const { event, audit } = await timeline(e);
        expect(event.workflow.status).toBe(sign.ok ? 'signed' : 'bounced');
        expect(audit.map((a) => a.seq)).toEqual([1, 2, 3, 4]);
      }
    });

    it('five supervisors raising supervision at once: exactly one raise is recorded', async () => {
      const e = expectCreated(await h.submit('grid_patrol', patrolReport('GP-RACE-SUP'))).eventId;
      const results = await Promise.all(Array.from({ length: 5 }, () => cmd(e, { type: 'supervise', level: 3, reason: '挂牌督办' }, actors.supervisor)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.code))).toEqual(['invalid_target', 'invalid_target', 'invalid_target', 'invalid_target']);
      expect((await timeline(e)).audit.filter((a) => a.command === 'supervise')).toHaveLength(1);
    });

    it('two events merged into each other at once: no deadlock, one merge wins', async () => {
      const a = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-X-1', GRID_A))).eventId;
      const b = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-X-2', GRID_A))).eventId;
      const [ab, ba] = await Promise.all([cmd(a, { type: 'merge', intoEventId: b }, actors.desk), cmd(b, { type: 'merge', intoEventId: a }, actors.desk)]);
      expect([ab, ba].filter((r) => r.ok)).toHaveLength(1);
      const loser = [ab, ba].find((r) => !r.ok)!;
      expect(['illegal_transition', 'invalid_target']).toContain(loser.ok ? '' : loser.error.code);
      const statuses = [(await h.events.getEvent(a))!, (await h.events.getEvent(b))!].map((r: EventRecord) => r.workflow.status).sort();
      expect(statuses).toEqual(['merged', 'reported']);
    });
  });
});
