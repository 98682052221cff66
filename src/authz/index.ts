import { AppError, notFound } from '../shared/errors';
import type { Actor, OrgScoped } from './actor';
import { PERMISSIONS, type Permission } from './permissions';
import { documentPolicy } from './policies/document.policy';
import { memberPolicy } from './policies/member.policy';
import { permissionsOf } from './roles';

export type { Actor, OrgScoped } from './actor';
export { PERMISSIONS, type Permission } from './permissions';
export { ROLES, isRole, permissionsOf, rank } from './roles';

type Policy = (actor: Actor, resource: any, granted: boolean) => boolean;

/** Record-dependent rules, per permission. Without one, the role's grant decides. */
const POLICIES: Partial<Record<Permission, Policy>> = {
  'member.update': memberPolicy.update,
  'member.remove': memberPolicy.remove,
  'member.invite': memberPolicy.invite,
  'document.update': documentPolicy.change,
  'document.delete': documentPolicy.change,
};

/** Whether `actor` may do `permission`, to `resource` when one is given. Never throws. */
export function can<R extends OrgScoped>(actor: Actor, permission: Permission, resource?: R): boolean {
  if (resource && resource.orgId !== actor.orgId) return false;
  const granted = permissionsOf(actor.role).has(permission);
  const policy = POLICIES[permission];
  return policy && resource ? policy(actor, resource, granted) : granted;
}

/**
 * Throws unless `actor` may do `permission`. A record of another organization is reported
 * as not found, so its existence is never revealed.
 */
export function authorize<R extends OrgScoped>(actor: Actor, permission: Permission, resource?: R): void {
  if (resource && resource.orgId !== actor.orgId) throw notFound();
  if (!can(actor, permission, resource)) {
    throw new AppError('forbidden', 'You do not have permission to do that in this organization');
  }
}

/** Every permission with whether the actor holds it, for the UI to show only what works. */
export function abilities(actor: Actor): Record<Permission, boolean> {
  const set = permissionsOf(actor.role);
  return Object.fromEntries(PERMISSIONS.map((p) => [p, set.has(p)])) as Record<Permission, boolean>;
}
export { readableDocuments, readablePartition } from './readable';
