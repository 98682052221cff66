import { describe, expect, it } from 'vitest';
import type { Role } from '../platform/db/schema';
import { abilities, type Actor, authorize, can, type Permission } from './index';

const actor = (role: Role, userId = 'me'): Actor => ({ userId, orgId: 'org-a', role });

describe('role permissions', () => {
  // What each role may do, as a table: the product's permission matrix.
  const table: [Permission, Role[]][] = [
    ['org.read', ['viewer', 'member', 'admin', 'owner']],
    ['member.read', ['viewer', 'member', 'admin', 'owner']],
    ['team.read', ['viewer', 'member', 'admin', 'owner']],
    ['org.update', ['admin', 'owner']],
    ['member.invite', ['admin', 'owner']],
    ['member.update', ['admin', 'owner']],
    ['member.remove', ['admin', 'owner']],
    ['team.create', ['admin', 'owner']],
    ['audit.read', ['admin', 'owner']],
    ['org.delete', ['owner']],
  ];
  for (const [permission, allowed] of table) {
    it(`${permission}: ${allowed.join(', ')}`, () => {
      for (const role of ['viewer', 'member', 'admin', 'owner'] as Role[]) {
        expect(can(actor(role), permission), `${role} ${permission}`).toBe(allowed.includes(role));
        expect(abilities(actor(role))[permission]).toBe(allowed.includes(role));
      }
    });
  }
});

describe('member policy', () => {
  const member = (role: Role, newRole?: Role) => ({ orgId: 'org-a', userId: 'them', role, newRole });

  it('admins manage members and admins but never owners', () => {
    expect(can(actor('admin'), 'member.update', member('member', 'admin'))).toBe(true);
    expect(can(actor('admin'), 'member.update', member('member', 'owner'))).toBe(false);
    expect(can(actor('admin'), 'member.update', member('owner', 'member'))).toBe(false);
    expect(can(actor('admin'), 'member.remove', member('owner'))).toBe(false);
    expect(can(actor('admin'), 'member.invite', { orgId: 'org-a', role: 'owner' })).toBe(false);
    expect(can(actor('owner'), 'member.update', member('owner', 'admin'))).toBe(true);
  });

  it('anyone may leave, nobody else below admin may remove', () => {
    expect(can(actor('viewer'), 'member.remove', { orgId: 'org-a', userId: 'me', role: 'viewer' })).toBe(true);
    expect(can(actor('member'), 'member.remove', member('viewer'))).toBe(false);
  });

  it("another organization's record is not found, not forbidden", () => {
    expect(() => authorize(actor('owner'), 'member.read', { orgId: 'org-b' })).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => authorize(actor('viewer'), 'org.update')).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });
});
