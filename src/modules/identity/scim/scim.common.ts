import { rank } from '../../../authz';
import type { Db } from '../../../platform/db/db';
import type { Org, Role } from '../../../platform/db/schema';
import type { Ctx } from '../../../shared/context';
import { recordAudit } from '../../audit/audit.service';
import { updateMemberRole } from '../../orgs/org.repository';
import { deleteTeamMember, insertTeamMember } from '../../teams/team.repository';
import { findMemberAnyState, listGroupMappings } from '../identity.repository';
import { type Filter, FilterError, filterAttributes, parseFilter } from './scim.filter';
import { MAX_RESULTS, scimError, URN } from './scim.protocol';
import * as repo from './scim.repository';

/** Who is provisioning: the organization of the URL, the token used, and the endpoint's base URL. */
export interface ScimCall {
  ctx: Ctx;
  org: Org;
  tokenId: string;
  /** `https://host/scim/v2/<slug>`, for `meta.location`. */
  base: string;
}

export interface ListParams {
  filter?: string;
  startIndex?: string;
  count?: string;
}

export type Resource = Record<string, unknown>;

const DEFAULT_COUNT = 100;

/** Parses and checks a list request's filter and paging (RFC 7644 §3.4.2). */
export function listArgs(p: ListParams, allowed: Set<string>, names: string) {
  let filter: Filter | undefined;
  if (p.filter !== undefined && p.filter.trim()) {
    try {
      filter = parseFilter(p.filter);
    } catch (err) {
      if (err instanceof FilterError) throw scimError('invalidFilter', err.message);
      throw err;
    }
    const bad = filterAttributes(filter).find((a) => !allowed.has(a));
    if (bad) throw scimError('invalidFilter', `Filtering on ${bad} is not supported; filter on ${names}.`);
  }
  const int = (v: string | undefined, what: string, fallback: number) => {
    if (v === undefined || v === '') return fallback;
    if (!/^-?\d{1,9}$/.test(v.trim())) throw scimError('invalidValue', `${what} must be a whole number.`);
    return Number(v.trim());
  };
  const startIndex = Math.max(1, int(p.startIndex, 'startIndex', 1));
  const count = Math.min(MAX_RESULTS, Math.max(0, int(p.count, 'count', DEFAULT_COUNT)));
  return { filter, startIndex, count };
}

export function listResponse(total: number, startIndex: number, resources: Resource[]) {
  return { schemas: [URN.list], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

export const notFound = (what: 'User' | 'Group', id: string) => scimError('noTarget', `${what} ${id.slice(0, 64)} not found.`, 'not_found');

export function audit(call: ScimCall, db: Db, action: 'user.provisioned' | 'user.deprovisioned' | 'member.added' | 'member.role_changed' | 'team.created' | 'team.updated' | 'team.deleted' | 'team.member_added' | 'team.member_removed', targetType: string, targetId: string, data: Record<string, unknown>) {
  return recordAudit(db, call.ctx.clock, call.ctx.meta, { action, orgId: call.org.id, actorId: null, targetType, targetId, data: { ...data, source: 'scim', scimToken: call.tokenId } });
}

// ---------------------------------------------------------------- group mappings

/**
 * After a user joined or left groups (`changed`: those groups' names), brings in line what
 * group mappings naming those groups grant: the role (the highest a mapped group of the
 * user still gives, else member; an owner is never changed) and the mapped teams. Mappings
 * of other groups are not touched, so roles set by hand stay unless a mapped group changes.
 */
export async function syncMappedAccess(call: ScimCall, db: Db, userId: string, changed: string[]): Promise<void> {
  const key = (s: string) => s.trim().toLowerCase();
  const changedKeys = new Set(changed.map(key));
  const mappings = await listGroupMappings(db, call.org.id);
  const relevant = mappings.filter((m) => changedKeys.has(key(m.group_name)));
  if (!relevant.length) return;
  const groups = new Set((await repo.teamNamesOfUser(db, call.org.id, userId)).map(key));
  const matched = mappings.filter((m) => groups.has(key(m.group_name)));
  if (relevant.some((m) => m.role)) {
    const target: Role = matched.map((m) => m.role).filter((r): r is Role => !!r).sort((a, b) => rank(b) - rank(a))[0] ?? 'member';
    const member = await findMemberAnyState(db, call.org.id, userId);
    if (member && member.role !== 'owner' && member.role !== target) {
      await updateMemberRole(db, call.org.id, userId, target);
      await audit(call, db, 'member.role_changed', 'user', userId, { from: member.role, to: target });
    }
  }
  const now = call.ctx.clock.now().toISOString();
  for (const teamId of new Set(relevant.map((m) => m.team_id).filter((t): t is string => !!t))) {
    if (matched.some((m) => m.team_id === teamId)) {
      if (!(await repo.isTeamMember(db, call.org.id, teamId, userId))) {
        await insertTeamMember(db, { org_id: call.org.id, team_id: teamId, user_id: userId, created_at: now });
        await audit(call, db, 'team.member_added', 'team', teamId, { userId, mapped: true });
      }
    } else if ((await deleteTeamMember(db, call.org.id, teamId, userId)) > 0) {
      await audit(call, db, 'team.member_removed', 'team', teamId, { userId, mapped: true });
    }
  }
}

