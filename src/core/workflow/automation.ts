/**
 * What the SLA scheduler does on its own, as pure functions: which commands are
 * due for an event at an instant (an overdue clock raises supervision; an
 * expired rung countdown moves the event up the ladder), and when to look at
 * the event again. The scheduler issues the commands through `decide` with
 * `systemActor`, so they are checked and audited like anyone's.
 */
import { clockState, nextClockChangeAt } from '../sla/clock';
import { type Command } from './commands';
import { COMMAND_FROM, type DecideContext } from './decide';
import { type WorkflowEvent } from './event';
import { isOpen } from './states';
import { nextRung } from './supervision';

export function dueAutomaticCommands(event: WorkflowEvent, now: Date, ctx: DecideContext): Command[] {
  if (!isOpen(event.status)) return [];
  const commands: Command[] = [];
  const level = ctx.config.overdueSupervisionLevel;
  if ((event.supervision?.level ?? 0) < level) {
    const overdue = event.clocks
      .filter((c) => c.stoppedAt === null)
      .map((c) => clockState(c, now, ctx.calendar))
      .filter((s) => s.status === 'overdue');
    if (overdue.length > 0) {
      const names = overdue.map((s) => `${s.id} (due ${s.deadline.toISOString()})`).join(', ');
      commands.push({ type: 'supervise', level, reason: `overdue: ${names}`, attachments: [] });
    }
  }
  const esc = event.escalation;
  // a parked event does not climb the ladder
  const climbing = COMMAND_FROM.escalate.includes(event.status) && event.status !== 'parked';
  if (climbing && esc?.deadline && now.getTime() > Date.parse(esc.deadline) && nextRung(ctx.config, esc.rung) !== null) {
    commands.push({ type: 'escalate', reason: `rung ${esc.rung} did not answer by ${esc.deadline}`, attachments: [] });
  }
  return commands;
}

/** The next instant something automatic may become due for this event, or null. */
export function nextAutomaticCheckAt(event: WorkflowEvent, now: Date, ctx: DecideContext): Date | null {
  if (!isOpen(event.status)) return null;
  const times: number[] = [];
  for (const c of event.clocks) {
    const t = nextClockChangeAt(c, now, ctx.calendar);
    if (t) times.push(t.getTime());
  }
  const esc = event.escalation;
  if (esc?.deadline && nextRung(ctx.config, esc.rung) !== null && event.status !== 'parked') {
    const t = Date.parse(esc.deadline) + 1;
    if (t > now.getTime()) times.push(t);
  }
  return times.length > 0 ? new Date(Math.min(...times)) : null;
}
