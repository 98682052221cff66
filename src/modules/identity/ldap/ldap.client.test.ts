import { Filter, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { classifyError, DirectoryError, everyoneFilter, fillFilter, groupFilterFor, guidToFilterValue, guidToString } from './ldap.client';
import { DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, ZLdapInput } from './ldap.schemas';

describe('directory filters', () => {
  it('escapes every filter metacharacter of a typed name (RFC 4515)', () => {
    expect(fillFilter('(uid={username})', 'username', '*)(uid=*')).toBe('(uid=\\2a\\29\\28uid=\\2a)');
    expect(fillFilter('(uid={username})', 'username', 'a\\2a\u0000')).toBe('(uid=a\\5c2a\\00)');
    // `$&` would be a replacement pattern for String.replace; here it stays text.
    expect(fillFilter('(|(uid={username})(mail={username}))', 'username', '$&x')).toBe('(|(uid=$&x)(mail=$&x))');
  });

  it('fills the default filters and builds the in-chain query for Active Directory', () => {
    expect(fillFilter(DEFAULT_USER_FILTER, 'username', 'ada')).toBe('(&(objectClass=person)(|(uid=ada)(sAMAccountName=ada)(mail=ada)))');
    expect(everyoneFilter({ userFilter: DEFAULT_USER_FILTER })).toBe('(&(objectClass=person)(|(uid=*)(sAMAccountName=*)(mail=*)))');
    const dn = 'CN=Smith\\, Ada (Ops),OU=Staff,DC=corp,DC=example';
    expect(groupFilterFor({ groupMode: 'search', groupFilter: DEFAULT_GROUP_FILTER }, dn)).toBe(
      `(|(member=${Filter.escape(dn)})(uniqueMember=${Filter.escape(dn)}))`,
    );
    expect(groupFilterFor({ groupMode: 'in_chain', groupFilter: DEFAULT_GROUP_FILTER }, 'CN=Ada,DC=corp')).toBe('(member:1.2.840.113556.1.4.1941:=CN=Ada,DC=corp)');
  });

  it('formats objectGUID the way Active Directory shows it, and back into a filter value', () => {
    const bytes = Buffer.from('2a4b6c8d0e1f2a3b4c5d6e7f8091a2b3', 'hex');
    const guid = guidToString(bytes);
    expect(guid).toBe('8d6c4b2a-1f0e-3b2a-4c5d-6e7f8091a2b3');
    expect(guidToFilterValue(guid)).toBe([...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join(''));
    expect(guidToFilterValue('not-a-guid')).toBeUndefined();
  });
});

describe('directory errors', () => {
  it('names the cause an administrator can act on', () => {
    expect(classifyError(new InvalidCredentialsError(), 'bind').reason).toBe('bind');
    expect(classifyError(new NoSuchObjectError(), 'search').reason).toBe('base_not_found');
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'connect').reason).toBe('connect');
    expect(classifyError(Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'bind').reason).toBe('tls');
    expect(classifyError(Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'bind').reason).toBe('tls');
    expect(classifyError(new Error('SearchRequest: Operation timed out'), 'search').reason).toBe('timeout');
    const e = classifyError(new Error('Connection timeout'), 'connect');
    expect(e).toBeInstanceOf(DirectoryError);
    expect(e.message).toBe('The directory did not answer in time.');
  });
});

describe('directory settings', () => {
  const base = { url: 'ldaps://dc1.corp.example:636', bindDn: 'CN=svc-folio,OU=Service Accounts,DC=corp,DC=example', userBase: 'DC=corp,DC=example', groupBase: 'DC=corp,DC=example' };

  it('fills in the defaults a directory administrator expects', () => {
    expect(ZLdapInput.parse(base)).toMatchObject({
      userFilter: DEFAULT_USER_FILTER,
      groupFilter: DEFAULT_GROUP_FILTER,
      uniqueIdAttribute: 'entryUUID',
      rejectUnauthorized: true,
      groupMode: 'search',
      groupNestingDepth: 5,
      defaultRole: 'member',
      connectTimeoutSeconds: 5,
      timeoutSeconds: 10,
      enabled: false,
    });
  });

  it('says what is wrong with a setting', () => {
    const problems = (input: Record<string, unknown>) => {
      const r = ZLdapInput.safeParse({ ...base, ...input });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ url: 'https://dc1.corp.example' })).toEqual(['url: Enter the server as ldap://host[:port] or ldaps://host[:port]']);
    expect(problems({ userFilter: '(uid=ada)' })).toEqual(['userFilter: The user filter must contain {username}']);
    expect(problems({ userFilter: '(uid={username}' })[0]).toContain('must be an LDAP filter in parentheses');
    expect(problems({ groupMode: 'search', groupBase: '' })).toEqual(['groupBase: Enter the base DN to search for groups']);
    expect(problems({ startTls: true })).toEqual(['startTls: StartTLS is for ldap:// URLs; ldaps:// is encrypted already']);
    expect(problems({ caCertificate: 'not a certificate' })[0]).toContain('PEM');
    expect(problems({ groupMode: 'none', groupBase: '', timeoutSeconds: 0 })[0]).toContain('timeoutSeconds');
  });
});
