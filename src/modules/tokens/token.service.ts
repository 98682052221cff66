import { z } from 'zod';
import type { PersonalToken, User } from '../../platform/db/schema';
import type { AppContext, Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId, newSecret, sha256Hex } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { findUserById } from '../users/user.repository';
import * as repo from './token.repository';

/** Every personal token starts with this, so secret scanners and people recognize it. */
export const TOKEN_PREFIX = 'folio_pat_';
const DAY = 24 * 60 * 60 * 1000;
// last_used_at is written at most this often.
const TOUCH_INTERVAL = 60 * 1000;

export const ZCreateToken = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type TCreateToken = z.infer<typeof ZCreateToken>;

export interface PresentedToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

function present(t: PersonalToken): PresentedToken {
  return { id: t.id, name: t.name, prefix: t.prefix, createdAt: t.created_at, lastUsedAt: t.last_used_at, expiresAt: t.expires_at };
}

/** Creates a personal token. The secret is returned once and only its hash is kept. */
export async function createPersonalToken(ctx: Ctx, userId: string, input: TCreateToken): Promise<{ token: string; record: PresentedToken }> {
  const token = `${TOKEN_PREFIX}${newSecret()}`;
  const now = ctx.clock.now();
  const record: PersonalToken = {
    id: newId(),
    user_id: userId,
    name: input.name,
    token_hash: sha256Hex(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    created_at: now.toISOString(),
    last_used_at: null,
    expires_at: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY).toISOString() : null,
    revoked_at: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await repo.insertToken(trx, record);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'token.created', actorId: userId, targetType: 'personal_token', targetId: record.id, data: { name: record.name } });
  });
  return { token, record: present(record) };
}

/** The active user behind a bearer token, or null for unknown, revoked or expired tokens. */
export async function authenticateToken(ctx: AppContext, token: string): Promise<{ user: User; tokenId: string } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const t = await repo.findTokenByHash(ctx.db, sha256Hex(token));
  const now = ctx.clock.now();
  if (!t || t.revoked_at || (t.expires_at && t.expires_at <= now.toISOString())) return null;
  const user = await findUserById(ctx.db, t.user_id);
  if (!user || !user.is_active) return null;
  if (!t.last_used_at || now.getTime() - new Date(t.last_used_at).getTime() > TOUCH_INTERVAL) {
    await repo.touchToken(ctx.db, t.id, now.toISOString());
  }
  return { user, tokenId: t.id };
}

export async function listPersonalTokens(ctx: Ctx, userId: string): Promise<PresentedToken[]> {
  const now = ctx.clock.now().toISOString();
  return (await repo.listUserTokens(ctx.db, userId)).filter((t) => !t.expires_at || t.expires_at > now).map(present);
}

export async function revokePersonalToken(ctx: Ctx, userId: string, id: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await repo.revokeToken(trx, userId, id, ctx.clock.now().toISOString()))) throw notFound('Token');
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'token.revoked', actorId: userId, targetType: 'personal_token', targetId: id });
  });
}

export function assertTokenInput(input: unknown): TCreateToken {
  const r = ZCreateToken.safeParse(input);
  if (!r.success) throw new AppError('validation_failed', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}
