import type { Actor } from '../actor';
import { rank } from '../roles';

/** A document as the policies see it. */
export interface DocumentResource {
  orgId: string;
  ownerId: string | null;
}

export const documentPolicy = {
  /** Members change their own documents; admins and owners change any. */
  change(actor: Actor, d: DocumentResource, granted: boolean) {
    return granted && (d.ownerId === actor.userId || rank(actor.role) >= rank('admin'));
  },
};
