/**
 * The officer signed in on this desktop. The data service logs in to the data
 * center on the renderer's behalf and keeps the tokens (the renderer never
 * sees them); the renderer learns who is signed in, with role and area scope,
 * so it offers only the actions that account may take (the data center still
 * decides).
 */
import { z } from 'zod';
import { AreaScope, Role } from '../workflow/roles';

export const SessionUser = z.object({
  id: z.string(),
  login: z.string(),
  name: z.string(),
  role: Role,
  organisationId: z.string(),
  scope: AreaScope,
});
export type SessionUser = z.infer<typeof SessionUser>;

export const Session = z.object({
  /** null when nobody is signed in */
  user: SessionUser.nullable(),
  /** true while the data center cannot be reached and the session is the last known one */
  offline: z.boolean(),
});
export type Session = z.infer<typeof Session>;

export const sessionRequests = {
  'auth/session': { args: z.object({}).strict(), result: Session },
  'auth/login': {
    args: z.object({ login: z.string().trim().min(1).max(100), password: z.string().min(1).max(200) }).strict(),
    result: Session,
  },
  'auth/logout': { args: z.object({}).strict(), result: Session },
} as const;

export const sessionEvents = {
  'auth/changed': Session,
} as const;
