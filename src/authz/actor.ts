import type { Role } from '../platform/db/schema';

/** Who is acting, inside which organization, with which role there. */
export interface Actor {
  userId: string;
  orgId: string;
  role: Role;
}

/** Anything that belongs to an organization. */
export interface OrgScoped {
  orgId: string;
}
