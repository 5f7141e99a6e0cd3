/**
 * Who the simulator acts as. Where the data center has accounts of the right role (the demo
 * seed's duty officer, intake agent, supervisor, 城管局 operator), the simulator acts as them, so
 * the audit trail names accounts people can sign in with; for every other unit it acts as a
 * simulated operator of that unit (`sim-unit:<unit id>`, role unit_operator, the unit as
 * organisation). Each command is still decided by `decide` for that actor: role, scope and
 * lead-unit rules apply exactly as to a person.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Actor, AreaScope } from '../../core/workflow/roles';
import { users } from '../store/auth-schema';
import type { DbOrTx } from '../store/database';
import type { SimRole } from './behaviour';
import type { SimWorld } from './world';

export interface SimActors {
  actor(role: SimRole, unitId?: string): Actor;
}

const DESK_ROLE: Record<Exclude<SimRole, 'unit'>, 'duty_officer' | 'intake_agent' | 'supervisor'> = {
  duty: 'duty_officer',
  agent: 'intake_agent',
  supervisor: 'supervisor',
};

const DESK_NAME: Record<Exclude<SimRole, 'unit'>, string> = { duty: '值班员（模拟）', agent: '受理员（模拟）', supervisor: '督查员（模拟）' };

interface Account {
  id: string;
  displayName: string;
  role: string;
  organisationId: string;
  scope: AreaScope;
}

/** Actors for the simulator, preferring existing district-wide accounts of each role. */
export function createSimActors(world: Pick<SimWorld, 'districtCode' | 'units'>, accounts: readonly Account[] = []): SimActors {
  const district: AreaScope = { level: 'district', code: world.districtCode };
  const desk = new Map<SimRole, Actor>();
  for (const role of ['duty', 'agent', 'supervisor'] as const) {
    const account = accounts.find((a) => a.role === DESK_ROLE[role] && a.scope.level === 'district');
    desk.set(
      role,
      account
        ? { id: account.id, name: account.displayName, role: DESK_ROLE[role], organisationId: account.organisationId, scope: account.scope }
        : { id: `sim-${role}`, name: DESK_NAME[role], role: DESK_ROLE[role], organisationId: `district-${world.districtCode}`, scope: district },
    );
  }
  const unitAccounts = new Map<string, Account>();
  for (const a of accounts) if (a.role === 'unit_operator' && !unitAccounts.has(a.organisationId)) unitAccounts.set(a.organisationId, a);
  const units = new Map<string, Actor>();
  return {
    actor(role, unitId) {
      if (role !== 'unit') return desk.get(role)!;
      if (!unitId) throw new Error('a unit action needs the unit');
      let a = units.get(unitId);
      if (!a) {
        const account = unitAccounts.get(unitId);
        const unit = world.units.get(unitId);
        a = account
          ? { id: account.id, name: account.displayName, role: 'unit_operator', organisationId: unitId, scope: account.scope }
          : { id: `sim-unit:${unitId}`, name: `${unit?.shortName ?? unitId}操作员（模拟）`, role: 'unit_operator', organisationId: unitId, scope: district };
        units.set(unitId, a);
      }
      return a;
    },
  };
}

/** The enabled accounts of the roles the simulator plays. */
export async function loadSimAccounts(db: DbOrTx): Promise<Account[]> {
  try {
    const rows = await db
      .select({ id: users.id, displayName: users.displayName, role: users.role, organisationId: users.organisationId, level: users.scopeLevel, code: users.scopeCode })
      .from(users)
      .where(and(eq(users.disabled, false)))
      .orderBy(asc(users.id));
    return rows.map((r) => ({ id: r.id, displayName: r.displayName, role: r.role, organisationId: r.organisationId, scope: { level: r.level, code: r.code } as AreaScope }));
  } catch {
    // a database without the auth tables yet: simulated actors only
    return [];
  }
}
