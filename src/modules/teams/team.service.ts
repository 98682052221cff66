import { z } from 'zod';
import { type Actor, authorize } from '../../authz';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { findMember } from '../orgs/org.repository';
import * as repo from './team.repository';

export const ZTeamInput = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(100, 'Use at most 100 characters'),
  parentId: z.string().min(1).nullable().optional(),
});
export type TTeamInput = z.infer<typeof ZTeamInput>;

export interface PresentedTeam {
  id: string;
  name: string;
  parentId: string | null;
  memberCount: number;
  /** Names from the top-level team down to this one. */
  path: string[];
}

/** Teams of the organization, each with its path in the hierarchy, in tree order. */
export async function listOrgTeams(ctx: Ctx, actor: Actor): Promise<PresentedTeam[]> {
  authorize(actor, 'team.read');
  const rows = await repo.listTeams(ctx.db, actor.orgId);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pathOf = (id: string): string[] => {
    const out: string[] = [];
    for (let t = byId.get(id), guard = 0; t && guard < 64; t = t.parent_id ? byId.get(t.parent_id) : undefined, guard++) out.unshift(t.name);
    return out;
  };
  return rows
    .map((r) => ({ id: r.id, name: r.name, parentId: r.parent_id, memberCount: Number(r.member_count), path: pathOf(r.id) }))
    .sort((a, b) => a.path.join('\u0000').localeCompare(b.path.join('\u0000')));
}

async function assertParent(ctx: Ctx, orgId: string, parentId: string | null | undefined, selfId?: string) {
  if (!parentId) return;
  const teams = await repo.listTeams(ctx.db, orgId);
  const byId = new Map(teams.map((t) => [t.id, t]));
  if (!byId.has(parentId)) throw new AppError('validation_failed', 'The parent team does not exist');
  for (let id: string | null = parentId, guard = 0; id && guard < 64; id = byId.get(id)?.parent_id ?? null, guard++) {
    if (id === selfId) throw new AppError('validation_failed', 'A team cannot be placed inside itself');
  }
}

export async function createTeam(ctx: Ctx, actor: Actor, input: TTeamInput): Promise<PresentedTeam> {
  authorize(actor, 'team.create');
  await assertParent(ctx, actor.orgId, input.parentId);
  const team = { id: newId(), org_id: actor.orgId, parent_id: input.parentId ?? null, name: input.name, created_at: ctx.clock.now().toISOString() };
  await ctx.db.transaction().execute(async (trx) => {
    await repo.insertTeam(trx, team);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'team.created', orgId: actor.orgId, actorId: actor.userId, targetType: 'team', targetId: team.id, data: { name: team.name } });
  });
  return getTeam(ctx, actor, team.id);
}

export async function getTeam(ctx: Ctx, actor: Actor, id: string): Promise<PresentedTeam> {
  const team = (await listOrgTeams(ctx, actor)).find((t) => t.id === id);
  if (!team) throw notFound('Team');
  return team;
}

export async function updateTeam(ctx: Ctx, actor: Actor, id: string, input: Partial<TTeamInput>): Promise<PresentedTeam> {
  authorize(actor, 'team.update');
  if (!(await repo.findTeam(ctx.db, actor.orgId, id))) throw notFound('Team');
  await assertParent(ctx, actor.orgId, input.parentId, id);
  await ctx.db.transaction().execute(async (trx) => {
    await repo.updateTeam(trx, actor.orgId, id, { name: input.name, parent_id: input.parentId === undefined ? undefined : input.parentId });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'team.updated', orgId: actor.orgId, actorId: actor.userId, targetType: 'team', targetId: id, data: input });
  });
  return getTeam(ctx, actor, id);
}

/** Deletes a team and the teams nested in it. */
export async function deleteTeam(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'team.delete');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.findTeam(trx, actor.orgId, id))) throw notFound('Team');
    await repo.deleteTeam(trx, actor.orgId, id);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'team.deleted', orgId: actor.orgId, actorId: actor.userId, targetType: 'team', targetId: id });
  });
}

export async function listMembersOfTeam(ctx: Ctx, actor: Actor, teamId: string) {
  authorize(actor, 'team.read');
  if (!(await repo.findTeam(ctx.db, actor.orgId, teamId))) throw notFound('Team');
  const rows = await repo.listTeamMembers(ctx.db, actor.orgId, teamId);
  return rows.map((r) => ({ userId: r.user_id, email: r.email, name: r.name, addedAt: r.created_at }));
}

/** Adds an organization member to a team. */
export async function addTeamMember(ctx: Ctx, actor: Actor, teamId: string, userId: string): Promise<void> {
  authorize(actor, 'team.update');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.findTeam(trx, actor.orgId, teamId))) throw notFound('Team');
    if (!(await findMember(trx, actor.orgId, userId))) throw new AppError('validation_failed', 'Only members of the organization can join its teams');
    await repo.insertTeamMember(trx, { org_id: actor.orgId, team_id: teamId, user_id: userId, created_at: ctx.clock.now().toISOString() });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'team.member_added', orgId: actor.orgId, actorId: actor.userId, targetType: 'team', targetId: teamId, data: { userId } });
  });
}

export async function removeTeamMember(ctx: Ctx, actor: Actor, teamId: string, userId: string): Promise<void> {
  authorize(actor, 'team.update');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.findTeam(trx, actor.orgId, teamId))) throw notFound('Team');
    if (!(await repo.deleteTeamMember(trx, actor.orgId, teamId, userId))) throw notFound('Team member');
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'team.member_removed', orgId: actor.orgId, actorId: actor.userId, targetType: 'team', targetId: teamId, data: { userId } });
  });
}
