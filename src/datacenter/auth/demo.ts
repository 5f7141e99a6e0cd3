/**
 * Demo accounts and API keys, made only when the data center runs with `--seed demo` (the
 * default on embedded PGlite), so a first run can be tried at once. They are marked `demo` in
 * the database and refused by an auth service that does not run in demo mode, so a database
 * that once served a demo does not let these documented credentials into production.
 *
 * One account per role, a unit operator of 城管局 (dept-cg) and a duty officer scoped to one town
 * (新华街道), for the "a town officer cannot touch another town's events" rule. One API key per
 * intake source system. The credentials are in docs/auth.md.
 */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { AreaScope, Role } from '../../core';
import { IntakeSourceName } from '../intake/draft';
import { apiKeys, users } from '../store/auth-schema';
import type { Db } from '../store/database';
import { areas, units } from '../store/schema';
import type { AuthService } from './service';

/** the one password of every demo account */
export const DEMO_PASSWORD = 'huying-demo';

/** the demo key of a source system: `hyk_demo_<source>` */
export const demoApiKey = (source: IntakeSourceName) => `hyk_demo_${source}`;

export interface DemoAccount {
  id: string;
  login: string;
  displayName: string;
  role: Role;
  /** 'district', or the town scope of the town officer */
  scope: 'district' | 'town';
  /** the organisation: `district` (the command centre), a department id, or `town` */
  organisation: 'district' | 'town' | `dept-${string}`;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: 'demo-admin', login: 'admin', displayName: '系统管理员（演示）', role: 'admin', scope: 'district', organisation: 'district' },
  { id: 'demo-supervisor', login: 'supervisor', displayName: '督查员（演示）', role: 'supervisor', scope: 'district', organisation: 'district' },
  { id: 'demo-duty', login: 'duty', displayName: '值班员（演示）', role: 'duty_officer', scope: 'district', organisation: 'district' },
  { id: 'demo-intake', login: 'intake', displayName: '受理员（演示）', role: 'intake_agent', scope: 'district', organisation: 'district' },
  { id: 'demo-wall', login: 'wall', displayName: '大屏（演示）', role: 'wall_viewer', scope: 'district', organisation: 'district' },
  { id: 'demo-unit-cg', login: 'unit-cg', displayName: '城管局操作员（演示）', role: 'unit_operator', scope: 'district', organisation: 'dept-cg' },
  { id: 'demo-town', login: 'town', displayName: '新华街道值班员（演示）', role: 'duty_officer', scope: 'town', organisation: 'town' },
];

export interface DemoAuthOutcome {
  accountsCreated: string[];
  apiKeysCreated: string[];
}

/**
 * Makes the demo accounts and keys that are missing (idempotent: a restart makes none).
 * Needs the reference data (the district, its first town, the departments) to be loaded.
 */
export async function seedDemoAuth(service: AuthService, db: Db): Promise<DemoAuthOutcome> {
  const [district] = await db.select({ code: areas.code }).from(areas).where(eq(areas.level, 'district')).limit(1);
  if (!district) return { accountsCreated: [], apiKeysCreated: [] };
  const [town] = await db
    .select({ code: areas.code })
    .from(areas)
    .where(eq(areas.level, 'town'))
    .orderBy(sql`${areas.code} collate "C"`)
    .limit(1);
  const districtUnit = `district-${district.code}`;
  const unitIds = new Set((await db.select({ id: units.id }).from(units).orderBy(asc(units.sortOrder))).map((u) => u.id));

  const existing = new Set((await db.select({ id: users.id }).from(users).where(inArray(users.id, DEMO_ACCOUNTS.map((a) => a.id)))).map((u) => u.id));
  const accountsCreated: string[] = [];
  for (const a of DEMO_ACCOUNTS) {
    if (existing.has(a.id)) continue;
    if (a.scope === 'town' && !town) continue;
    const scope: AreaScope = a.scope === 'town' ? { level: 'town', code: town!.code } : { level: 'district', code: district.code };
    const organisationId = a.organisation === 'district' ? districtUnit : a.organisation === 'town' ? `town-${town!.code}` : a.organisation;
    if (!unitIds.has(organisationId)) continue; // another district without that unit: no such demo account
    await service.createUser({ login: a.login, displayName: a.displayName, role: a.role, scope, organisationId, password: DEMO_PASSWORD }, null, { demo: true, id: a.id });
    accountsCreated.push(a.login);
  }

  const keyIds = IntakeSourceName.options.map((s) => `demo-key-${s}`);
  const existingKeys = new Set((await db.select({ id: apiKeys.id }).from(apiKeys).where(inArray(apiKeys.id, keyIds))).map((k) => k.id));
  const apiKeysCreated: string[] = [];
  for (const source of IntakeSourceName.options) {
    const id = `demo-key-${source}`;
    if (existingKeys.has(id)) continue;
    await service.createApiKey({ source, name: `${source} (demo)`, scopes: ['intake'] }, null, { demo: true, key: demoApiKey(source), id });
    apiKeysCreated.push(source);
  }
  return { accountsCreated, apiKeysCreated };
}
