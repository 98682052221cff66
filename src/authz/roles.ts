import type { Role } from '../platform/db/schema';
import type { Permission } from './permissions';

/** Roles from least to most powerful; each includes everything the ones before it grant. */
export const ROLES: readonly Role[] = ['viewer', 'member', 'admin', 'owner'];

/** What each role adds to the role below it. Data, not code: read it as the permission table. */
const GRANTS: Record<Role, Permission[]> = {
  viewer: ['org.read', 'member.read', 'team.read', 'document.read'],
  member: ['document.create', 'document.update', 'document.delete', 'folder.manage', 'extraction.review'],
  admin: ['org.update', 'member.invite', 'member.update', 'member.remove', 'team.create', 'team.update', 'team.delete', 'audit.read', 'doctype.manage', 'signin.manage'],
  owner: ['org.delete'],
};

const BY_ROLE = new Map<Role, ReadonlySet<Permission>>();
{
  const acc: Permission[] = [];
  for (const role of ROLES) {
    acc.push(...GRANTS[role]);
    BY_ROLE.set(role, new Set(acc));
  }
}

/** The permissions a role grants, its inherited ones included. */
export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return BY_ROLE.get(role) ?? new Set();
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Position in the hierarchy: higher is more powerful. */
export function rank(role: Role): number {
  return ROLES.indexOf(role);
}
