/**
 * The SLA scheduler with a fake clock across the real working calendar, on PGlite and PostgreSQL:
 * an event dispatched on the Friday evening before the 2026 Spring Festival with a 2-working-day
 * limit is not overdue over the make-up Saturday, the weekend and the holiday, nor at 18:00 on
 * the deadline day, and is overdue — supervision raised by 'system', audited — one millisecond
 * later. The ladder climbs rung by rung as each countdown runs out, never while parked; warnings
 * only move the event's next check (no change-log version); two schedulers at once act once; and
 * the interval mode runs on its own.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { clockState } from '../../../src/core/sla/clock';
import { createSlaScheduler, type SlaScheduler } from '../../../src/datacenter/scheduler/scheduler';
import { actors, DEPT, expectCreated, HARNESS_TIMEOUT_MS, openHarness, patrolReport, realWrite, type Harness } from './events-fixtures';
import { forEachBackend } from './backends';

const at = (iso: string) => new Date(iso);

forEachBackend('SLA scheduler', (backend) => {
  let h: Harness;
  let now: Date;
  let scheduler: SlaScheduler;

  beforeAll(async () => {
    h = await openHarness(backend, at('2026-02-13T11:00:00.000Z'));
    now = h.now;
    scheduler = createSlaScheduler({ db: h.store.db, writeReplicated: realWrite, config: h.config, clock: () => now });
  }, HARNESS_TIMEOUT_MS);

  const row = async (id: string) =>
    (await h.rows<{ next_check_at: string | null; supervision_level: number; v: string }>(sql`select next_check_at, supervision_level, v from events where id = ${id}`))[0]!;
  const nextCheck = async (id: string) => {
    const r = await row(id);
    return r.next_check_at === null ? null : new Date(r.next_check_at.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')).toISOString();
  };
  const logSize = async () => (await h.rows<{ n: number }>(sql`select count(*)::int as n from change_log`))[0]!.n;
  const runAt = async (iso: string) => {
    now = at(iso);
    return scheduler.runOnce();
  };

  describe('overdue raises supervision, counted in working time', () => {
    let id: string;

    it('dispatched Fri 2026-02-13 19:30 with 2 working days: the deadline is Tue 02-24 18:00 (make-up Sat 2/14, 春节 2/15–2/23)', async () => {
      id = expectCreated(await h.submit('grid_patrol', patrolReport('GP-SLA-1', undefined, { reportedAt: '2026-02-13T19:00:00+08:00' }))).eventId;
      const r = await h.command(id, { type: 'dispatch', leadUnitId: DEPT, clocks: [{ id: 'internal', policy: { clock: 'internal', unit: 'working_days', amount: 2 } }] }, actors.desk, at('2026-02-13T11:30:00.000Z'));
      expect(r.ok).toBe(true);
      const event = (await h.events.getEvent(id))!;
      const ctx = await h.config.current();
      const state = clockState(event.workflow.clocks[0]!, at('2026-02-13T11:30:00.000Z'), ctx.calendar);
      expect(state.deadline.toISOString()).toBe('2026-02-24T10:00:00.000Z');
      // the first automatic look: when the clock enters its warning band
      expect(await nextCheck(id)).toBe(state.warnFrom.toISOString());
    });

    it('is not overdue on the make-up Saturday, the weekend, the holiday, nor at 18:00:00 on the deadline day', async () => {
      const before = await logSize();
      for (const t of ['2026-02-14T09:00:00.000Z', '2026-02-15T04:00:00.000Z', '2026-02-20T04:00:00.000Z', '2026-02-23T15:59:59.999Z', '2026-02-24T09:59:59.999Z', '2026-02-24T10:00:00.000Z']) {
        const run = await runAt(t);
        expect(run.commands, t).toEqual([]);
        expect(run.failed).toBe(0);
      }
      expect((await row(id)).supervision_level).toBe(0);
      // the warning band moved the next check to just past the deadline, without a change-log version
      expect(await nextCheck(id)).toBe('2026-02-24T10:00:00.001Z');
      expect(await logSize()).toBe(before);
    });

    it('one millisecond after the deadline: supervision level 1 by the system actor, audited, and nothing more to do', async () => {
      const run = await runAt('2026-02-24T10:00:00.001Z');
      expect(run.commands).toEqual([{ eventId: id, caseNo: expect.stringMatching(/^HD20260213\d{4}$/), command: 'supervise', ok: true }]);
      const { event, audit } = (await h.events.getEventWithTimeline(id))!;
      expect(event.workflow.supervision).toMatchObject({ level: 1, byActorId: 'system', since: '2026-02-24T10:00:00.001Z' });
      expect(audit.at(-1)).toMatchObject({
        command: 'supervise',
        actorId: 'system',
        role: 'system',
        from: 'dispatched',
        to: 'dispatched',
        reason: 'overdue: internal (due 2026-02-24T10:00:00.000Z)',
      });
      expect((await row(id)).supervision_level).toBe(1);
      // overdue and supervised: no further automatic change for this clock
      expect(await nextCheck(id)).toBeNull();
      expect((await runAt('2026-02-25T02:00:00.000Z')).examined).toBe(0);
    });
  });

  describe('the escalation ladder (四呼四应)', () => {
    it('climbs grid → village → town → department → district leader as each countdown runs out, and stops at the top', async () => {
      now = at('2026-03-02T02:00:00.000Z'); // Mon 10:00 CST
      h.now = now;
      const id = expectCreated(await h.submit('grid_patrol', patrolReport('GP-LADDER-1', undefined, { reportedAt: '2026-03-02T09:50:00+08:00' }))).eventId;
      expect((await h.command(id, { type: 'escalate', reason: '网格呼' }, actors.desk, now)).ok).toBe(true);
      let event = (await h.events.getEvent(id))!;
      // grid rung: 4 working hours from Mon 10:00 → 10–12 and 14–16
      expect(event.workflow.escalation).toMatchObject({ rung: 'grid', deadline: '2026-03-02T08:00:00.000Z' });
      expect(await nextCheck(id)).toBe('2026-03-02T08:00:00.001Z');
      expect((await runAt('2026-03-02T08:00:00.000Z')).commands).toEqual([]);

      const rungs: string[] = [];
      for (let i = 0; i < 4; i++) {
        const deadline = Date.parse(event.workflow.escalation!.deadline!);
        const run = await runAt(new Date(deadline + 1).toISOString());
        expect(run.commands.map((c) => [c.command, c.ok])).toEqual([['escalate', true]]);
        event = (await h.events.getEvent(id))!;
        rungs.push(event.workflow.escalation!.rung);
      }
      expect(rungs).toEqual(['village', 'town', 'department', 'district_leader']);
      const audit = (await h.events.getEventWithTimeline(id))!.audit.filter((a) => a.command === 'escalate');
      expect(audit.map((a) => a.actorId)).toEqual(['u-desk', 'system', 'system', 'system', 'system']);
      // at the top: nothing left to climb
      expect(await nextCheck(id)).toBeNull();
      expect((await runAt(new Date(Date.parse(event.workflow.escalation!.deadline!) + 1).toISOString())).commands).toEqual([]);
    });

    it('a parked event does not climb; once unparked, an expired countdown is acted on at the next run', async () => {
      now = at('2026-03-16T02:00:00.000Z'); // Mon 10:00 CST
      h.now = now;
      const id = expectCreated(await h.submit('grid_patrol', patrolReport('GP-LADDER-2', undefined, { reportedAt: '2026-03-16T09:50:00+08:00' }))).eventId;
      expect((await h.command(id, { type: 'dispatch', leadUnitId: DEPT, clocks: [] }, actors.desk, now)).ok).toBe(true);
      expect((await h.command(id, { type: 'escalate', reason: '网格呼' }, actors.desk, now)).ok).toBe(true);
      expect((await h.command(id, { type: 'park', reason: '等待施工许可' }, actors.supervisor, now)).ok).toBe(true);
      const run = await runAt('2026-03-17T02:00:00.000Z');
      expect(run.commands).toEqual([]);
      expect((await h.events.getEvent(id))!.workflow.escalation!.rung).toBe('grid');

      expect((await h.command(id, { type: 'unpark' }, actors.supervisor, at('2026-03-18T02:00:00.000Z'))).ok).toBe(true);
      expect(await nextCheck(id)).toBe('2026-03-18T02:00:00.000Z');
      const after = await runAt('2026-03-18T02:00:00.000Z');
      expect(after.commands.filter((c) => c.eventId === id).map((c) => c.command)).toEqual(['escalate']);
      expect((await h.events.getEvent(id))!.workflow.escalation!.rung).toBe('village');
    });
  });

  describe('runs', () => {
    it('two schedulers at once act once', async () => {
      now = at('2026-04-01T01:00:00.000Z');
      h.now = now;
      const id = expectCreated(await h.submit('grid_patrol', patrolReport('GP-TWO-1', undefined, { reportedAt: '2026-04-01T08:30:00+08:00' }))).eventId;
      expect((await h.command(id, { type: 'dispatch', leadUnitId: DEPT, clocks: [{ policy: { clock: 'internal', unit: 'calendar_hours', amount: 1 } }] }, actors.desk, now)).ok).toBe(true);
      now = at('2026-04-01T03:00:00.000Z');
      const other = createSlaScheduler({ db: h.store.db, writeReplicated: realWrite, config: h.config, clock: () => now });
      const [a, b] = await Promise.all([scheduler.runOnce(), other.runOnce()]);
      const supervised = [...a.commands, ...b.commands].filter((c) => c.eventId === id && c.ok);
      expect(supervised).toHaveLength(1);
      expect((await h.events.getEventWithTimeline(id))!.audit.filter((x) => x.command === 'supervise')).toHaveLength(1);
    });

    it('on an interval, until stopped', async () => {
      now = at('2026-04-02T01:00:00.000Z');
      h.now = now;
      const id = expectCreated(await h.submit('grid_patrol', patrolReport('GP-INT-1', undefined, { reportedAt: '2026-04-02T08:30:00+08:00' }))).eventId;
      expect((await h.command(id, { type: 'dispatch', leadUnitId: DEPT, clocks: [{ policy: { clock: 'internal', unit: 'calendar_hours', amount: 1 } }] }, actors.desk, now)).ok).toBe(true);
      now = at('2026-04-02T03:00:00.000Z');
      const ticking = createSlaScheduler({ db: h.store.db, writeReplicated: realWrite, config: h.config, clock: () => now, intervalMs: 20 });
      ticking.start();
      expect(ticking.running).toBe(true);
      const deadline = Date.now() + 20_000;
      while ((await row(id)).supervision_level === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await ticking.stop();
      expect(ticking.running).toBe(false);
      expect((await row(id)).supervision_level).toBe(1);
    });
  });
});
