import { z } from 'zod';

/** The user search filter of a typical directory: OpenLDAP's uid, Active Directory's sAMAccountName, or the email. */
export const DEFAULT_USER_FILTER = '(&(objectClass=person)(|(uid={username})(sAMAccountName={username})(mail={username})))';
/** Groups that list a person (or a group) as a member, whichever attribute the directory uses. */
export const DEFAULT_GROUP_FILTER = '(|(member={dn})(uniqueMember={dn}))';
/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: the server resolves nested groups in one search. */
export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

const trimmed = (max: number) => z.string().trim().max(max);
const text = (max: number) => trimmed(max).optional().transform((v) => v ?? '');

/** Checks a filter's parentheses balance, so a typo is reported when saving rather than at sign-in. */
function balanced(filter: string): boolean {
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i];
    if (ch === '\\') i += 2;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

const filter = (what: string, placeholder?: string) =>
  trimmed(2000)
    .refine((v) => v.startsWith('(') && v.endsWith(')') && balanced(v), `${what} must be an LDAP filter in parentheses, e.g. (objectClass=person)`)
    .refine((v) => !placeholder || v.includes(placeholder), `${what} must contain ${placeholder}`);

const seconds = (max: number, dflt: number) => z.coerce.number().int('Enter whole seconds').min(1).max(max).default(dflt);

/**
 * An organization's directory settings (the bind password is kept apart, sealed). Every
 * field has the default an OpenLDAP or Active Directory administrator would expect.
 */
export const ZLdapSettings = z.object({
  url: trimmed(500).refine((v) => /^ldaps?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/.test(v), 'Enter the server as ldap://host[:port] or ldaps://host[:port]'),
  startTls: z.boolean().default(false),
  /** Verify the server's certificate (leave on; turning it off accepts any server claiming the name). */
  rejectUnauthorized: z.boolean().default(true),
  /** PEM of the certificate authority that signed the server's certificate, when it is not a public one. */
  caCertificate: text(20_000).refine((v) => !v || /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(v), 'Paste the CA certificate in PEM form (-----BEGIN CERTIFICATE-----…)'),
  bindDn: trimmed(1000).min(1, 'Enter the service account DN'),
  userBase: trimmed(1000).min(1, 'Enter the base DN to search for people'),
  userFilter: filter('The user filter', '{username}').default(DEFAULT_USER_FILTER),
  usernameAttribute: trimmed(100).min(1).default('uid'),
  emailAttribute: trimmed(100).min(1).default('mail'),
  nameAttribute: trimmed(100).min(1).default('cn'),
  /** A value that never changes for a person: entryUUID (OpenLDAP), objectGUID (Active Directory). */
  uniqueIdAttribute: trimmed(100).min(1).default('entryUUID'),
  /** A person this filter matches cannot sign in, e.g. (employeeType=disabled); AD's disabled flag and OpenLDAP's pwdAccountLockedTime always apply. */
  disabledFilter: z.union([z.literal(''), filter('The disabled filter')]).optional().transform((v) => v ?? ''),
  /** search: groups found by the group filter, nested ones resolved level by level; memberof: the person's memberOf attribute; in_chain: Active Directory resolves nesting itself; none: no groups. */
  groupMode: z.enum(['search', 'memberof', 'in_chain', 'none']).default('search'),
  groupBase: text(1000),
  groupFilter: filter('The group filter', '{dn}').default(DEFAULT_GROUP_FILTER),
  groupNameAttribute: trimmed(100).min(1).default('cn'),
  /** How many levels of groups within groups are followed (0: direct groups only). */
  groupNestingDepth: z.coerce.number().int().min(0).max(20).default(5),
  defaultRole: z.enum(['viewer', 'member', 'admin']).default('member'),
  connectTimeoutSeconds: seconds(60, 5),
  timeoutSeconds: seconds(120, 10),
});

export type LdapSettings = z.infer<typeof ZLdapSettings>;
export interface LdapSecrets extends Record<string, string | undefined> {
  bindPassword?: string;
}

/** What an administrator sends to save the settings (JSON API and the settings form). */
export const ZLdapInput = ZLdapSettings.extend({
  enabled: z.boolean().default(false),
  /** Empty keeps the stored password. */
  bindPassword: z.string().max(1000).optional(),
}).superRefine((v, ctx) => {
  if ((v.groupMode === 'search' || v.groupMode === 'in_chain') && !v.groupBase) {
    ctx.addIssue({ code: 'custom', path: ['groupBase'], message: 'Enter the base DN to search for groups' });
  }
  if (v.startTls && v.url.startsWith('ldaps:')) ctx.addIssue({ code: 'custom', path: ['startTls'], message: 'StartTLS is for ldap:// URLs; ldaps:// is encrypted already' });
});
export type TLdapInput = z.infer<typeof ZLdapInput>;

export const ZLdapTest = z.object({ username: z.string().max(256).optional() }).default({});
