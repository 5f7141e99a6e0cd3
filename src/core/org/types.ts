/**
 * Organisations that receive and handle events: the 27 district departments,
 * the town governments and the village/community committees, and the people
 * who act for them.
 */
import { z } from 'zod';

export const UnitKind = z.enum(['district', 'department', 'town', 'village']);
export type UnitKind = z.infer<typeof UnitKind>;

export const Unit = z.object({
  /** stable id, e.g. `dept-cg` or `town-440114001000` */
  id: z.string().min(1),
  name: z.string().min(1),
  /** short display name for walls and tables, e.g. 城管局 */
  shortName: z.string().min(1),
  kind: UnitKind,
  /** area the unit governs (a town or village code), null for district-wide departments */
  areaCode: z.string().nullable(),
  parentId: z.string().nullable(),
  /** where the unit sits, for dispatch arcs on the map */
  location: z.tuple([z.number(), z.number()]),
  phone: z.string(),
});
export type Unit = z.infer<typeof Unit>;
