/**
 * The demo service is a test double, but the workstation's tests and the
 * `?fake=demo` page lean on it: it must fill every queue, answer within the
 * contract's schemas, and settle commands the way the authority decides them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requests } from '../../../core/rpc/contract';
import { answer } from '../../../core/rpc/wire';
import { createDemoService, type DemoService } from './demo-service';

let demo: DemoService | null = null;
afterEach(() => demo?.stop());

const NOW = new Date('2026-03-10T02:00:00.000Z');

async function ask<T>(d: DemoService, name: string, args: unknown): Promise<T> {
  const reply = await answer(d.handlers, name, args);
  if (!reply.ok) throw new Error(`${name}: ${reply.error.code} ${reply.error.message}`);
  // the answers must pass the contract's result schemas
  (requests as Record<string, { result: { parse(v: unknown): unknown } }>)[name]!.result.parse(reply.result);
  return reply.result as T;
}

describe('demo service', () => {
  it('spreads generated events over every queue, through the real workflow rules', async () => {
    demo = createDemoService({ events: 1500, now: () => NOW, signedIn: 'duty', autoSettle: false });
    const { counts } = await ask<{ counts: Record<string, number> }>(demo, 'events/counts', {});
    expect(counts.all).toBe(1500);
    for (const q of ['to_verify', 'to_dispatch', 'awaiting_signature', 'bounced', 'in_progress', 'extension_requests', 'overdue_warning', 'to_check', 'to_evaluate', 'supervised_by_me']) {
      expect(counts[q], q).toBeGreaterThan(0);
    }
    // audit trails are the decisions that made each state
    const evaluated = [...demo.events.values()].find((e) => e.workflow.status === 'evaluated')!;
    const trail = demo.audit.get(evaluated.id)!.map((a) => a.command);
    expect(trail.slice(0, 3)).toEqual(['report', 'file', 'dispatch']);
    expect(trail.at(-1)).toBe('evaluate');
    expect(new Set(demo.audit.get(evaluated.id)!.map((a) => a.seq)).size).toBe(trail.length);
  });

  it('pages a queue in deadline order and settles a dispatch to confirmed', async () => {
    demo = createDemoService({ events: 800, now: () => NOW, signedIn: 'duty', autoSettle: false });
    const page = await ask<{ total: number; rows: { id: string; deadline: string | null }[] }>(demo, 'events/list', { filter: { queue: 'in_progress' }, offset: 0, limit: 50 });
    expect(page.rows.length).toBe(Math.min(50, page.total));
    const deadlines = page.rows.map((r) => r.deadline).filter((d): d is string => d !== null);
    expect([...deadlines].sort()).toEqual(deadlines);

    const filed = await ask<{ rows: { id: string }[] }>(demo, 'events/list', { filter: { queue: 'to_dispatch' }, limit: 1 });
    const id = filed.rows[0]!.id;
    await ask(demo, 'commands/submit', { mutation: { name: 'event/command', eventId: id, command: { type: 'dispatch', leadUnitId: 'dept-cg' } } });
    expect(demo.outbox[0]!.state).toBe('queued');
    demo.settle();
    expect(demo.outbox[0]!.state).toBe('confirmed');
    expect(demo.events.get(id)!.workflow.status).toBe('dispatched');
    // the first dispatch started the category's clocks
    expect(demo.events.get(id)!.workflow.clocks.length).toBeGreaterThan(0);
  });

  it('rejects what the rules refuse, with decide’s code, and holds commands while offline', async () => {
    demo = createDemoService({ events: 300, now: () => NOW, signedIn: 'wall', autoSettle: false });
    const filed = [...demo.events.values()].find((e) => e.workflow.status === 'filed')!;
    demo.setOnline(false);
    await ask(demo, 'commands/submit', { mutation: { name: 'event/command', eventId: filed.id, command: { type: 'dispatch', leadUnitId: 'dept-cg' } } });
    demo.settle();
    expect(demo.outbox[0]!.state).toBe('queued');
    demo.setOnline(true);
    demo.settle();
    expect(demo.outbox[0]!.state).toBe('rejected');
    expect(demo.outbox[0]!.error?.code).toBe('forbidden_role');
    expect(demo.events.get(filed.id)!.workflow.status).toBe('filed');
  });
});
