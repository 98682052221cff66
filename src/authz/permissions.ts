/**
 * Every permission Folio checks, named `resource.action`. Roles grant them (roles.ts);
 * policies (policies/) add rules that depend on the record being touched.
 */
export const PERMISSIONS = [
  'org.read',
  'org.update',
  'org.delete',
  'member.read',
  'member.invite',
  'member.update',
  'member.remove',
  'team.read',
  'team.create',
  'team.update',
  'team.delete',
  'audit.read',
  'document.read',
  'document.create',
  'document.update',
  'document.delete',
  'folder.manage',
  'extraction.review',
  'doctype.manage',
  'signin.manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];
