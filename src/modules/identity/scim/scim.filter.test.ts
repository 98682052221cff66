import { describe, expect, it } from 'vitest';
import { FilterError, filterAttributes, parseFilter } from './scim.filter';

describe('SCIM filter parser', () => {
  it('reads the filters Okta and Azure AD send', () => {
    expect(parseFilter('userName eq "ada@example.com"')).toEqual({ op: 'eq', attr: 'username', value: 'ada@example.com' });
    expect(parseFilter('externalId eq "00u1ab"')).toEqual({ op: 'eq', attr: 'externalid', value: '00u1ab' });
    expect(parseFilter('emails.value eq "Ada@Example.com"')).toEqual({ op: 'eq', attr: 'emails.value', value: 'Ada@Example.com' });
    expect(parseFilter('displayName eq "Engineering"')).toEqual({ op: 'eq', attr: 'displayname', value: 'Engineering' });
  });

  it('takes operators and attribute names in any case, with the core schema URN', () => {
    expect(parseFilter('USERNAME EQ "a@b.co"')).toEqual({ op: 'eq', attr: 'username', value: 'a@b.co' });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a@b.co"')).toEqual({ op: 'eq', attr: 'username', value: 'a@b.co' });
  });

  it('combines with and / or, and binds and tighter than or', () => {
    const f = parseFilter('id eq "g1" and members.value eq "u1"');
    expect(f).toEqual({ op: 'and', left: { op: 'eq', attr: 'id', value: 'g1' }, right: { op: 'eq', attr: 'members.value', value: 'u1' } });
    const g = parseFilter('userName eq "a@b.co" or userName eq "c@d.co" and active eq true');
    expect(g.op).toBe('or');
    expect(filterAttributes(g)).toEqual(['username', 'username', 'active']);
    expect(parseFilter('(userName eq "a@b.co" or externalId eq "x") and active eq false').op).toBe('and');
  });

  it('reads JSON escapes inside strings and bare literals', () => {
    expect(parseFilter('displayName eq "say \\"hi\\""')).toMatchObject({ value: 'say "hi"' });
    expect(parseFilter('active eq True')).toMatchObject({ value: true });
    expect(parseFilter('externalId eq null')).toMatchObject({ value: null });
  });

  it.each([
    ['userName sw "a"', /sw operator is not supported/],
    ['userName co "a"', /co operator is not supported/],
    ['not (userName eq "a")', /not operator/],
    ['emails[type eq "work"].value eq "a@b.co"', /brackets/],
    ['userName eq "a', /closing quote/],
    ['userName eq', /no value/],
    ['userName "a"', /no operator|not a filter operator/],
    ['userName eq a@b.co', /double quotes/],
    ['(userName eq "a"', /closing one/],
    ['userName eq "a" userName eq "b"', /unexpected/],
    ['', /empty/],
    ['"x" eq "y"', /attribute name/],
  ])('refuses %s with a clear message', (input, message) => {
    expect(() => parseFilter(input)).toThrow(FilterError);
    expect(() => parseFilter(input)).toThrow(message);
  });

  it('refuses filters that are too long or too deep instead of working on them', () => {
    expect(() => parseFilter(`userName eq "${'a'.repeat(3000)}"`)).toThrow(/longer than/);
    expect(() => parseFilter(`${'('.repeat(20)}id eq "x"${')'.repeat(20)}`)).toThrow(/too deeply/);
    expect(() => parseFilter(Array.from({ length: 60 }, (_, i) => `id eq "${i}"`).join(' or '))).toThrow(/more than 50/);
  });
});
