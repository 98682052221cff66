import type { Role } from '../../platform/db/schema';
import type { Actor } from '../actor';

/** A membership being changed, removed or created by invitation. */
export interface MemberResource {
  orgId: string;
  userId?: string;
  role: Role;
  /** For updates: the role being given. */
  newRole?: Role;
}

/** Only owners touch owners or make new ones. */
function touchesOwner(m: MemberResource) {
  return m.role === 'owner' || m.newRole === 'owner';
}

export const memberPolicy = {
  update(actor: Actor, m: MemberResource, granted: boolean) {
    return granted && (!touchesOwner(m) || actor.role === 'owner');
  },
  /** Anyone may leave an organization; removing someone else needs the permission. */
  remove(actor: Actor, m: MemberResource, granted: boolean) {
    if (m.userId === actor.userId) return true;
    return granted && (m.role !== 'owner' || actor.role === 'owner');
  },
  invite(actor: Actor, m: MemberResource, granted: boolean) {
    return granted && (m.role !== 'owner' || actor.role === 'owner');
  },
};
