import { type Filter, FilterError, normalizeAttr, parseFilter } from './scim.filter';
import { scimError } from './scim.protocol';

/**
 * Pure SCIM resource updates: PATCH operations (RFC 7644 §3.5.2) in the dialects Okta and
 * Azure AD send (op in any case, "True"/"False" strings for booleans, a value object
 * without a path, paths like `name.givenName`, `emails[type eq "work"].value`,
 * `members[value eq "…"]`) applied to a plain state object, and full resources (POST/PUT)
 * read into the same state. Everything here throws `scimError` with the SCIM type.
 */

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
}

/** What Folio keeps of a SCIM User. */
export interface UserState {
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  formatted: string | null;
  /** Emails as sent; null means "the userName, as the work email". */
  emails: ScimEmail[] | null;
}

/** What Folio keeps of a SCIM Group. */
export interface GroupState {
  displayName: string;
  externalId: string | null;
  /** User ids. */
  members: string[];
}

export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

interface Path {
  attr: string;
  filter?: Filter & { op: 'eq' };
  sub?: string;
}

/** User attributes of the SCIM core and enterprise schemas Folio accepts and does not keep. */
const IGNORED_USER_ATTRS = new Set([
  'title', 'nickname', 'profileurl', 'usertype', 'preferredlanguage', 'locale', 'timezone', 'password',
  'phonenumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509certificates',
  'id', 'meta', 'schemas',
]);

const MAX_OPS = 1000;
const MAX_MEMBERS = 10_000;

/** Reads a PatchOp request body. */
export function readPatch(body: unknown): PatchOp[] {
  if (!isObject(body)) throw scimError('invalidSyntax', 'The PATCH body must be a JSON object with an Operations array.');
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops) || ops.length === 0) throw scimError('invalidSyntax', 'The PATCH body must have a non-empty Operations array.');
  if (ops.length > MAX_OPS) throw scimError('tooMany', `A PATCH may carry at most ${MAX_OPS} operations.`);
  return ops.map((o, i) => {
    if (!isObject(o)) throw scimError('invalidSyntax', `Operation ${i + 1} is not an object.`);
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw scimError('invalidSyntax', `Operation ${i + 1} has op ${JSON.stringify(o.op)}; use add, replace or remove.`);
    if (o.path !== undefined && (typeof o.path !== 'string' || !o.path.trim())) throw scimError('invalidPath', `Operation ${i + 1} has a path that is not a non-empty string.`);
    const path = typeof o.path === 'string' ? o.path.trim() : undefined;
    if (op !== 'remove' && o.value === undefined) throw scimError('invalidValue', `Operation ${i + 1} (${op}) has no value.`);
    if (op === 'remove' && !path) throw scimError('noTarget', `Operation ${i + 1} (remove) has no path.`);
    return { op, path, value: o.value };
  });
}

/** Parses `attr`, `attr.sub`, `attr[x eq "y"]` or `attr[x eq "y"].sub`. */
export function parsePath(raw: string): Path {
  const text = raw.trim();
  if (/^urn:/i.test(text) && !/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i.test(text)) return { attr: 'urn' };
  const m = /^([^[\]]+?)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/.exec(text.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i, ''));
  if (!m) throw scimError('invalidPath', `"${text.slice(0, 100)}" is not an attribute path.`);
  let attr = normalizeAttr(m[1]);
  let sub = m[3]?.toLowerCase();
  if (!m[2] && attr.includes('.')) {
    const [a, s, ...rest] = attr.split('.');
    if (rest.length || sub) throw scimError('invalidPath', `"${text.slice(0, 100)}" is not an attribute path.`);
    attr = a;
    sub = s;
  }
  if (!/^[a-z$][\w$-]*$/.test(attr)) throw scimError('invalidPath', `"${text.slice(0, 100)}" is not an attribute path.`);
  if (m[2] === undefined) return { attr, sub };
  let filter: Filter;
  try {
    filter = parseFilter(m[2]);
  } catch (err) {
    if (err instanceof FilterError) throw scimError('invalidPath', `The path ${text.slice(0, 100)} has an unusable filter: ${err.message}`);
    throw err;
  }
  if (filter.op !== 'eq') throw scimError('invalidPath', `The path ${text.slice(0, 100)} may select values with one eq condition only.`);
  return { attr, filter, sub };
}

// ---------------------------------------------------------------- values

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Booleans as JSON booleans or as the strings Azure AD sends ("True", "False"). */
export function toBool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw scimError('invalidValue', `${what} must be true or false.`);
}

function toStr(v: unknown, what: string, max: number): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw scimError('invalidValue', `${what} must be a string.`);
  const s = v.trim();
  if (s.length > max) throw scimError('invalidValue', `${what} is longer than ${max} characters.`);
  return s || null;
}

function toRequiredStr(v: unknown, what: string, max: number): string {
  const s = toStr(v, what, max);
  if (!s) throw scimError('invalidValue', `${what} must not be empty.`);
  return s;
}

function toEmails(v: unknown): ScimEmail[] {
  if (!Array.isArray(v)) throw scimError('invalidValue', 'emails must be an array of {value, type, primary}.');
  if (v.length > 20) throw scimError('invalidValue', 'emails may hold at most 20 addresses.');
  return v.map((e) => {
    if (!isObject(e)) throw scimError('invalidValue', 'Each entry of emails must be an object with a value.');
    const out: ScimEmail = { value: toRequiredStr(e.value, 'emails.value', 320) };
    if (e.type !== undefined && e.type !== null) out.type = toRequiredStr(e.type, 'emails.type', 40);
    if (e.primary !== undefined && e.primary !== null) out.primary = toBool(e.primary, 'emails.primary');
    return out;
  });
}

function memberIds(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length > MAX_MEMBERS) throw scimError('tooMany', `At most ${MAX_MEMBERS} members can be changed at once.`);
  return list.map((m) => {
    if (!isObject(m) || typeof m.value !== 'string' || !m.value.trim()) throw scimError('invalidValue', 'Each member must be an object with the user id as value.');
    return m.value.trim();
  });
}

function filterMatches(f: Filter & { op: 'eq' }, item: Record<string, unknown>): boolean {
  const key = Object.keys(item).find((k) => k.toLowerCase() === f.attr);
  const v = key ? item[key] : undefined;
  if (typeof v === 'string' && typeof f.value === 'string') return v.toLowerCase() === f.value.toLowerCase();
  return v === f.value;
}

// ---------------------------------------------------------------- users

/** Reads a full User resource (POST, PUT) over `base` (PUT keeps what the body leaves out of active). */
export function readUser(body: unknown, base?: UserState): UserState {
  if (!isObject(body)) throw scimError('invalidSyntax', 'The body must be a JSON object (a SCIM User).');
  if (body.userName === undefined) throw scimError('invalidValue', 'userName is required: the person\'s email address.');
  const name = body.name;
  if (name !== undefined && name !== null && !isObject(name)) throw scimError('invalidValue', 'name must be an object with givenName, familyName, formatted.');
  const n = (name ?? {}) as Record<string, unknown>;
  return {
    userName: toRequiredStr(body.userName, 'userName', 320),
    externalId: body.externalId === undefined ? null : toStr(body.externalId, 'externalId', 255),
    active: body.active === undefined ? base?.active ?? true : toBool(body.active, 'active'),
    displayName: body.displayName === undefined ? null : toStr(body.displayName, 'displayName', 200),
    givenName: n.givenName === undefined ? null : toStr(n.givenName, 'name.givenName', 100),
    familyName: n.familyName === undefined ? null : toStr(n.familyName, 'name.familyName', 100),
    formatted: n.formatted === undefined ? null : toStr(n.formatted, 'name.formatted', 200),
    emails: body.emails === undefined || body.emails === null ? null : toEmails(body.emails),
  };
}

/** Applies PATCH operations to a User. */
export function patchUser(state: UserState, ops: PatchOp[]): UserState {
  let s = { ...state };
  for (const op of ops) {
    if (!op.path) {
      if (!isObject(op.value)) throw scimError('invalidValue', `An ${op.op} without a path needs an object as its value.`);
      for (const [k, v] of Object.entries(op.value)) s = setUser(s, parsePath(k), v, op.op);
    } else if (op.op === 'remove') {
      s = removeUser(s, parsePath(op.path));
    } else {
      s = setUser(s, parsePath(op.path), op.value, op.op);
    }
  }
  return s;
}

function setUser(s: UserState, p: Path, v: unknown, op: 'add' | 'replace' | 'remove'): UserState {
  if (p.attr === 'urn' || IGNORED_USER_ATTRS.has(p.attr)) return s;
  if (p.filter && p.attr !== 'emails') throw scimError('invalidPath', `${p.attr} has no values to select with a filter.`);
  switch (p.attr) {
    case 'username':
      return { ...s, userName: toRequiredStr(v, 'userName', 320) };
    case 'externalid':
      return { ...s, externalId: toStr(v, 'externalId', 255) };
    case 'active':
      return { ...s, active: toBool(v, 'active') };
    case 'displayname':
      return { ...s, displayName: toStr(v, 'displayName', 200) };
    case 'name': {
      if (p.sub) return setNamePart(s, p.sub, v);
      if (!isObject(v)) throw scimError('invalidValue', 'name must be an object with givenName, familyName, formatted.');
      let out = s;
      for (const [k, x] of Object.entries(v)) out = setNamePart(out, k.toLowerCase(), x);
      return out;
    }
    case 'emails': {
      const current = s.emails ?? [{ value: s.userName, type: 'work', primary: true }];
      if (p.filter) {
        const target = current.filter((e) => filterMatches(p.filter!, e as unknown as Record<string, unknown>));
        if (p.sub && p.sub !== 'value' && p.sub !== 'type' && p.sub !== 'primary') throw scimError('invalidPath', `emails has no ${p.sub}.`);
        if (!p.sub && !isObject(v)) throw scimError('invalidValue', 'An email must be an object with a value.');
        const patchOf = (e: ScimEmail): ScimEmail => {
          if (!p.sub) return { ...e, ...toEmails([v])[0] };
          if (p.sub === 'primary') return { ...e, primary: toBool(v, 'emails.primary') };
          if (p.sub === 'type') return { ...e, type: toRequiredStr(v, 'emails.type', 40) };
          return { ...e, value: toRequiredStr(v, 'emails.value', 320) };
        };
        if (target.length) return { ...s, emails: current.map((e) => (target.includes(e) ? patchOf(e) : e)) };
        // Nothing of that type yet: add one, typed as the filter says.
        const seed: ScimEmail = p.filter.attr === 'type' && typeof p.filter.value === 'string' ? { value: '', type: p.filter.value } : { value: '' };
        const added = patchOf(seed);
        if (!added.value) throw scimError('invalidValue', 'The new email has no value.');
        return { ...s, emails: [...current, added] };
      }
      if (p.sub) throw scimError('invalidPath', 'Select one email with a filter, like emails[type eq "work"].value.');
      const list = toEmails(v);
      if (op === 'add') {
        const merged = [...current.filter((e) => !list.some((n) => n.value.toLowerCase() === e.value.toLowerCase())), ...list];
        return { ...s, emails: merged };
      }
      return { ...s, emails: list };
    }
    default:
      throw scimError('invalidPath', `Users have no attribute ${p.attr}${p.sub ? `.${p.sub}` : ''} that Folio keeps.`);
  }
}

function setNamePart(s: UserState, sub: string, v: unknown): UserState {
  if (sub === 'givenname') return { ...s, givenName: toStr(v, 'name.givenName', 100) };
  if (sub === 'familyname') return { ...s, familyName: toStr(v, 'name.familyName', 100) };
  if (sub === 'formatted') return { ...s, formatted: toStr(v, 'name.formatted', 200) };
  if (['middlename', 'honorificprefix', 'honorificsuffix'].includes(sub)) return s;
  throw scimError('invalidPath', `name has no ${sub}.`);
}

function removeUser(s: UserState, p: Path): UserState {
  if (p.attr === 'urn' || IGNORED_USER_ATTRS.has(p.attr)) return s;
  switch (p.attr) {
    case 'externalid':
      return { ...s, externalId: null };
    case 'displayname':
      return { ...s, displayName: null };
    case 'name':
      return p.sub ? setNamePart(s, p.sub, null) : { ...s, givenName: null, familyName: null, formatted: null };
    case 'emails': {
      if (!p.filter) return { ...s, emails: null };
      const current = s.emails ?? [{ value: s.userName, type: 'work', primary: true }];
      const left = current.filter((e) => !filterMatches(p.filter!, e as unknown as Record<string, unknown>));
      return { ...s, emails: left.length ? left : null };
    }
    case 'username':
    case 'active':
      throw scimError('mutability', `${p.attr === 'username' ? 'userName' : 'active'} cannot be removed.`);
    default:
      throw scimError('invalidPath', `Users have no attribute ${p.attr} that Folio keeps.`);
  }
}

// ---------------------------------------------------------------- groups

/** Reads a full Group resource (POST, PUT). */
export function readGroup(body: unknown): GroupState {
  if (!isObject(body)) throw scimError('invalidSyntax', 'The body must be a JSON object (a SCIM Group).');
  if (body.displayName === undefined) throw scimError('invalidValue', 'displayName is required: the team name.');
  const members = body.members === undefined || body.members === null ? [] : memberIds(body.members);
  if (body.members !== undefined && body.members !== null && !Array.isArray(body.members)) throw scimError('invalidValue', 'members must be an array.');
  return {
    displayName: toRequiredStr(body.displayName, 'displayName', 100),
    externalId: body.externalId === undefined ? null : toStr(body.externalId, 'externalId', 255),
    members: [...new Set(members)],
  };
}

/** Applies PATCH operations to a Group. */
export function patchGroup(state: GroupState, ops: PatchOp[]): GroupState {
  let s: GroupState = { ...state, members: [...state.members] };
  for (const op of ops) {
    if (!op.path) {
      if (!isObject(op.value)) throw scimError('invalidValue', `An ${op.op} without a path needs an object as its value.`);
      for (const [k, v] of Object.entries(op.value)) s = setGroup(s, parsePath(k), v, op.op);
    } else {
      s = setGroup(s, parsePath(op.path), op.value, op.op);
    }
  }
  return { ...s, members: [...new Set(s.members)] };
}

function setGroup(s: GroupState, p: Path, v: unknown, op: PatchOp['op']): GroupState {
  if (p.attr === 'urn' || p.attr === 'id' || p.attr === 'meta' || p.attr === 'schemas') return s;
  switch (p.attr) {
    case 'displayname':
      if (op === 'remove') throw scimError('mutability', 'displayName cannot be removed.');
      return { ...s, displayName: toRequiredStr(v, 'displayName', 100) };
    case 'externalid':
      return { ...s, externalId: op === 'remove' ? null : toStr(v, 'externalId', 255) };
    case 'members': {
      if (p.filter) {
        if (op !== 'remove') throw scimError('invalidPath', 'Members can be selected with a filter only to remove them.');
        if (p.filter.attr !== 'value' || typeof p.filter.value !== 'string') throw scimError('invalidPath', 'Select members with value eq "<user id>".');
        const id = p.filter.value;
        return { ...s, members: s.members.filter((m) => m !== id) };
      }
      if (op === 'remove') {
        if (v === undefined || v === null) return { ...s, members: [] };
        const drop = new Set(memberIds(v));
        return { ...s, members: s.members.filter((m) => !drop.has(m)) };
      }
      const ids = memberIds(v);
      return { ...s, members: op === 'add' ? [...s.members, ...ids] : ids };
    }
    default:
      throw scimError('invalidPath', `Groups have no attribute ${p.attr} that Folio keeps.`);
  }
}
