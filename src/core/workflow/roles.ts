/**
 * Who may act: account roles, the area scope of an account and the actor a
 * command is decided for. Scopes follow the area codes of DOMAIN.md: a district
 * (6 digits), a town or a village (12 digits).
 */
import { z } from 'zod';
import { AreaCode12, DistrictCode } from '../geo/types';

/** Account roles (admin 管理员, supervisor 督查员, duty_officer 值班员, intake_agent 受理员, wall_viewer 大屏只读, unit_operator 承办单位操作员). */
export const Role = z.enum(['admin', 'supervisor', 'duty_officer', 'intake_agent', 'wall_viewer', 'unit_operator']);
export type Role = z.infer<typeof Role>;

/** Roles a command can be decided for: the account roles plus the SLA scheduler acting on its own. */
export const ActorRole = z.enum([...Role.options, 'system']);
export type ActorRole = z.infer<typeof ActorRole>;

export const AreaScope = z.discriminatedUnion('level', [
  z.object({ level: z.literal('district'), code: DistrictCode }),
  z.object({ level: z.literal('town'), code: AreaCode12 }),
  z.object({ level: z.literal('village'), code: AreaCode12 }),
]);
export type AreaScope = z.infer<typeof AreaScope>;

export const Actor = z.object({
  id: z.string().min(1),
  name: z.string(),
  role: ActorRole,
  /** the unit the person acts for, e.g. `dept-cg`, `town-440114001000`, `district-440114` */
  organisationId: z.string().min(1),
  scope: AreaScope,
});
export type Actor = z.infer<typeof Actor>;

/** Where an event lies, as far as it is known (outside the district: town/village/grid are null). */
export const EventArea = z.object({
  districtCode: DistrictCode,
  townCode: AreaCode12.nullable(),
  villageCode: AreaCode12.nullable(),
  gridCode: z.string().regex(/^\d{15}$/).nullable(),
});
export type EventArea = z.infer<typeof EventArea>;

/** True when the event lies inside the scope. Events outside every town are visible to district scope only. */
export function scopeCovers(scope: AreaScope, area: EventArea): boolean {
  switch (scope.level) {
    case 'district':
      return area.districtCode === scope.code;
    case 'town':
      return area.townCode === scope.code;
    case 'village':
      return area.villageCode === scope.code;
  }
}

/** The actor the SLA scheduler uses for automatic supervision and escalation. */
export function systemActor(districtCode: string): Actor {
  return { id: 'system', name: 'SLA scheduler', role: 'system', organisationId: `district-${districtCode}`, scope: { level: 'district', code: districtCode } };
}
