import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../shared/errors';
import { type GroupState, parsePath, patchGroup, patchUser, readGroup, readPatch, readUser, type UserState } from './scim.patch';

const user: UserState = {
  userName: 'ada@example.com',
  externalId: 'ext-1',
  active: true,
  displayName: 'Ada Lovelace',
  givenName: 'Ada',
  familyName: 'Lovelace',
  formatted: null,
  emails: null,
};

function scimTypeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return ((err as AppError).details as { scimType?: string }).scimType;
  }
  throw new Error('did not throw');
}

describe('SCIM PATCH of users', () => {
  it('applies Azure AD operations: capitalized ops, string booleans, paths', () => {
    const ops = readPatch({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada.l@example.com' },
        { op: 'Replace', path: 'name.familyName', value: 'Byron' },
        { op: 'Add', path: 'displayName', value: 'Ada Byron' },
        { op: 'Replace', path: 'externalId', value: 'ext-2' },
        { op: 'Replace', path: 'active', value: 'False' },
      ],
    });
    const next = patchUser(user, ops);
    expect(next).toMatchObject({ familyName: 'Byron', displayName: 'Ada Byron', externalId: 'ext-2', active: false });
    expect(next.emails).toEqual([{ value: 'ada.l@example.com', type: 'work', primary: true }]);
    expect(next.userName).toBe('ada@example.com');
  });

  it('applies Okta operations: a value object without a path', () => {
    const next = patchUser(user, readPatch({ Operations: [{ op: 'replace', value: { active: false } }] }));
    expect(next.active).toBe(false);
    const back = patchUser(next, readPatch({ Operations: [{ op: 'replace', value: { active: true, 'name.givenName': 'Augusta', name: { familyName: 'King' } } }] }));
    expect(back).toMatchObject({ active: true, givenName: 'Augusta', familyName: 'King' });
  });

  it('accepts attributes Folio does not keep, and removes what may be removed', () => {
    const next = patchUser(user, readPatch({
      Operations: [
        { op: 'Add', path: 'title', value: 'Engineer' },
        { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'R&D' },
        { op: 'Remove', path: 'externalId' },
        { op: 'Remove', path: 'name.givenName' },
      ],
    }));
    expect(next).toMatchObject({ externalId: null, givenName: null, familyName: 'Lovelace' });
  });

  it('refuses bad operations with the SCIM type that says why', () => {
    expect(scimTypeOf(() => readPatch({}))).toBe('invalidSyntax');
    expect(scimTypeOf(() => readPatch({ Operations: [{ op: 'move', path: 'x' }] }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => readPatch({ Operations: [{ op: 'remove' }] }))).toBe('noTarget');
    expect(scimTypeOf(() => patchUser(user, readPatch({ Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] })))).toBe('invalidValue');
    expect(scimTypeOf(() => patchUser(user, readPatch({ Operations: [{ op: 'replace', path: 'favouriteColour', value: 'red' }] })))).toBe('invalidPath');
    expect(scimTypeOf(() => patchUser(user, readPatch({ Operations: [{ op: 'replace', path: 'displayName', value: 42 }] })))).toBe('invalidValue');
    expect(scimTypeOf(() => patchUser(user, readPatch({ Operations: [{ op: 'remove', path: 'userName' }] })))).toBe('mutability');
    expect(scimTypeOf(() => parsePath('emails[type sw "w"].value'))).toBe('invalidPath');
  });

  it('reads full users; PUT keeps active when the body leaves it out', () => {
    const s = readUser({ userName: 'b@example.com', name: { givenName: 'B', familyName: 'C' }, emails: [{ value: 'b@example.com', primary: true }] }, { ...user, active: false });
    expect(s).toMatchObject({ userName: 'b@example.com', givenName: 'B', familyName: 'C', active: false, externalId: null });
    expect(scimTypeOf(() => readUser({ name: {} }))).toBe('invalidValue');
    expect(scimTypeOf(() => readUser([]))).toBe('invalidSyntax');
    expect(scimTypeOf(() => readUser({ userName: 'x@y.co', active: 'yes' }))).toBe('invalidValue');
  });
});

describe('SCIM PATCH of groups', () => {
  const group: GroupState = { displayName: 'Engineering', externalId: null, members: ['u1', 'u2'] };

  it('adds and removes members the Azure AD way', () => {
    const added = patchGroup(group, readPatch({ Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u3' }] }] }));
    expect(added.members).toEqual(['u1', 'u2', 'u3']);
    const removed = patchGroup(added, readPatch({ Operations: [{ op: 'Remove', path: 'members[value eq "u1"]' }] }));
    expect(removed.members).toEqual(['u2', 'u3']);
  });

  it('replaces and removes members and renames the Okta way', () => {
    const replaced = patchGroup(group, readPatch({ Operations: [{ op: 'replace', path: 'members', value: [{ value: 'u9', display: 'x@y.co' }] }] }));
    expect(replaced.members).toEqual(['u9']);
    const removed = patchGroup(group, readPatch({ Operations: [{ op: 'remove', path: 'members', value: [{ value: 'u2' }] }] }));
    expect(removed.members).toEqual(['u1']);
    const renamed = patchGroup(group, readPatch({ Operations: [{ op: 'replace', value: { id: 'g1', displayName: 'Platform' } }] }));
    expect(renamed).toMatchObject({ displayName: 'Platform', members: ['u1', 'u2'] });
  });

  it('refuses members without ids and filters used to add', () => {
    expect(scimTypeOf(() => patchGroup(group, readPatch({ Operations: [{ op: 'add', path: 'members', value: [{ display: 'x' }] }] })))).toBe('invalidValue');
    expect(scimTypeOf(() => patchGroup(group, readPatch({ Operations: [{ op: 'add', path: 'members[value eq "u1"]', value: [] }] })))).toBe('invalidPath');
    expect(scimTypeOf(() => readGroup({ members: [] }))).toBe('invalidValue');
    expect(readGroup({ displayName: ' Ops ', members: [{ value: 'u1' }, { value: 'u1' }] })).toEqual({ displayName: 'Ops', externalId: null, members: ['u1'] });
  });
});
