import { z } from 'zod';
import { type Actor, authorize } from '../../../authz';
import type { Org, ScimToken } from '../../../platform/db/schema';
import type { AppContext, Ctx } from '../../../shared/context';
import { notFound } from '../../../shared/errors';
import { newId, newSecret, sha256Hex } from '../../../shared/ids';
import { recordAudit } from '../../audit/audit.service';
import { findOrgBySlugOrId } from '../../orgs/org.repository';
import * as repo from './scim.repository';

/** Every SCIM token starts with this, so secret scanners and people recognize it. */
export const SCIM_TOKEN_PREFIX = 'folio_scim_';
// last_used_at is written at most this often.
const TOUCH_INTERVAL = 60 * 1000;

export const ZCreateScimToken = z.object({ name: z.string().trim().min(1, 'Enter a name, like “Okta”').max(100, 'Use at most 100 characters') });

export interface PresentedScimToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

function present(t: ScimToken): PresentedScimToken {
  return { id: t.id, name: t.name, prefix: t.prefix, createdAt: t.created_at, lastUsedAt: t.last_used_at };
}

/** Creates a SCIM token for the actor's organization. The secret is returned once; only its SHA-256 is kept. */
export async function createScimToken(ctx: Ctx, actor: Actor, input: z.infer<typeof ZCreateScimToken>): Promise<{ token: string; record: PresentedScimToken }> {
  authorize(actor, 'signin.manage');
  const token = `${SCIM_TOKEN_PREFIX}${newSecret()}`;
  const row: ScimToken = {
    id: newId(),
    org_id: actor.orgId,
    name: input.name,
    token_hash: sha256Hex(token),
    prefix: token.slice(0, SCIM_TOKEN_PREFIX.length + 6),
    created_by: actor.userId,
    created_at: ctx.clock.now().toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await repo.insertScimToken(trx, row);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'scim.token_created', orgId: actor.orgId, actorId: actor.userId, targetType: 'scim_token', targetId: row.id, data: { name: row.name } });
  });
  return { token, record: present(row) };
}

export async function listScimTokens(ctx: Ctx, actor: Actor): Promise<PresentedScimToken[]> {
  authorize(actor, 'signin.manage');
  return (await repo.listScimTokens(ctx.db, actor.orgId)).map(present);
}

/** Revokes a token of the actor's organization; it stops working on the next request. */
export async function revokeScimToken(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'signin.manage');
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.revokeScimToken(trx, actor.orgId, id, ctx.clock.now().toISOString()))) throw notFound('SCIM token');
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'scim.token_revoked', orgId: actor.orgId, actorId: actor.userId, targetType: 'scim_token', targetId: id });
  });
}

/** The organization named in a SCIM URL (slug or id), if it exists. */
export async function findScimOrg(ctx: AppContext, ref: string): Promise<Org | undefined> {
  if (!/^[A-Za-z0-9-]{1,60}$/.test(ref)) return undefined;
  return findOrgBySlugOrId(ctx.db, ref);
}

/**
 * The token behind a bearer value if it is active and belongs to `orgId`; a token of
 * another organization is as good as none.
 */
export async function authenticateScimToken(ctx: AppContext, orgId: string, token: string): Promise<ScimToken | null> {
  if (!token.startsWith(SCIM_TOKEN_PREFIX) || token.length > 200) return null;
  const t = await repo.findScimTokenByHash(ctx.db, sha256Hex(token));
  if (!t || t.revoked_at || t.org_id !== orgId) return null;
  const now = ctx.clock.now();
  if (!t.last_used_at || now.getTime() - new Date(t.last_used_at).getTime() > TOUCH_INTERVAL) await repo.touchScimToken(ctx.db, t.id, now.toISOString());
  return t;
}
