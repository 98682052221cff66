import { z } from 'zod';
import { type Actor, authorize, isRole } from '../../authz';
import type { GroupMapping, IdentityProviderKind, Org } from '../../platform/db/schema';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { findOrgBySlugOrId } from '../orgs/org.repository';
import { findTeam } from '../teams/team.repository';
import * as repo from './identity.repository';
import { enabledKinds } from './provider.service';

/** What an organization's own sign-in page offers. */
export interface OrgSignIn {
  org: Pick<Org, 'id' | 'slug' | 'name'>;
  methods: IdentityProviderKind[];
  /** False when the organization admits members only through its identity provider. */
  passwordAllowed: boolean;
}

/** The sign-in methods of an organization named by slug; an unknown slug is not found. */
export async function orgSignIn(ctx: Ctx, slug: string): Promise<OrgSignIn> {
  const org = /^[a-z0-9-]{1,60}$/.test(slug) ? await findOrgBySlugOrId(ctx.db, slug) : undefined;
  if (!org) throw notFound('Organization');
  const [methods, policy] = await Promise.all([enabledKinds(ctx, org.id), repo.findSecurityPolicy(ctx.db, org.id)]);
  return { org: { id: org.id, slug: org.slug, name: org.name }, methods, passwordAllowed: !policy?.sso_only };
}

export const ZGroupMapping = z
  .object({
    groupName: z.string().trim().min(1, 'Enter the group name as the provider sends it').max(500),
    teamId: z.string().trim().max(100).optional().transform((v) => v || undefined),
    role: z.string().trim().optional().transform((v) => v || undefined),
  })
  .refine((v) => v.teamId || v.role, 'Choose a team, a role, or both');

export interface PresentedMapping {
  id: string;
  groupName: string;
  teamId: string | null;
  role: string | null;
  createdAt: string;
}

function present(m: GroupMapping): PresentedMapping {
  return { id: m.id, groupName: m.group_name, teamId: m.team_id, role: m.role, createdAt: m.created_at };
}

export async function listMappings(ctx: Ctx, actor: Actor): Promise<PresentedMapping[]> {
  authorize(actor, 'signin.manage');
  return (await repo.listGroupMappings(ctx.db, actor.orgId)).map(present);
}

/** Maps a provider group to a team and/or a role (owner cannot be granted by a group). */
export async function addMapping(ctx: Ctx, actor: Actor, input: z.infer<typeof ZGroupMapping>): Promise<PresentedMapping> {
  authorize(actor, 'signin.manage');
  if (input.role && (!isRole(input.role) || input.role === 'owner')) throw new AppError('validation_failed', 'A group can grant the viewer, member or admin role.');
  if (input.teamId && !(await findTeam(ctx.db, actor.orgId, input.teamId))) throw new AppError('validation_failed', 'That team does not exist in this organization.');
  const row: GroupMapping = {
    id: newId(),
    org_id: actor.orgId,
    group_name: input.groupName,
    team_id: input.teamId ?? null,
    role: (input.role as GroupMapping['role']) ?? null,
    created_at: ctx.clock.now().toISOString(),
  };
  await ctx.db.transaction().execute(async (trx) => {
    await repo.insertGroupMapping(trx, row);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'signin.group_mapping_changed', orgId: actor.orgId, actorId: actor.userId, targetType: 'group_mapping', targetId: row.id, data: { added: input } });
  });
  return present(row);
}

export async function removeMapping(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'signin.manage');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.deleteGroupMapping(trx, actor.orgId, id))) throw notFound('Group mapping');
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'signin.group_mapping_changed', orgId: actor.orgId, actorId: actor.userId, targetType: 'group_mapping', targetId: id, data: { removed: true } });
  });
}
