import type { Session, SessionMethod, User } from '../../platform/db/schema';
import type { AppContext, Ctx } from '../../shared/context';
import { AppError } from '../../shared/errors';
import { newSecret, sha256Hex } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { findUserById, updateUser } from '../users/user.repository';
import {
  deleteAllUserSessions,
  deleteOldestSessions,
  deleteSession,
  deleteUserSession,
  findSession,
  findSessionLimit,
  insertSession,
  listUserSessions,
  setSessionMfa,
  touchSession,
} from './session.repository';

const DAY = 24 * 60 * 60 * 1000;
// last_seen_at is written at most this often, so reads do not each cost a write.
const TOUCH_INTERVAL = 60 * 1000;

function lifetime(ctx: AppContext) {
  return ctx.config.auth.sessionDays * DAY;
}

/** How a new session was made: the method, the organization whose provider vouched, and whether a second factor was checked. */
export interface SessionOrigin {
  method?: SessionMethod;
  orgId?: string | null;
  mfa?: boolean;
}

/**
 * Starts a session (and records it as the user's latest sign-in): a random token for the cookie; only its SHA-256 is stored, so a
 * database leak does not leak usable sessions.
 */
export async function createSession(ctx: Ctx, userId: string, origin: SessionOrigin = {}): Promise<{ token: string; session: Session }> {
  const token = newSecret();
  const now = ctx.clock.now();
  const session: Session = {
    id: sha256Hex(token),
    user_id: userId,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + lifetime(ctx)).toISOString(),
    last_seen_at: now.toISOString(),
    ip: ctx.meta.ip,
    user_agent: ctx.meta.userAgent?.slice(0, 500) ?? null,
    method: origin.method ?? 'password',
    org_id: origin.orgId ?? null,
    mfa_at: origin.mfa ? now.toISOString() : null,
  };
  await insertSession(ctx.db, session);
  await updateUser(ctx.db, userId, { last_login_at: session.created_at });
  await enforceSessionLimit(ctx, userId, session.id);
  return { token, session };
}

/**
 * Applies the smallest "most concurrent sessions" limit of the user's organizations: the
 * new session and the newest others are kept, the oldest ended (and recorded).
 */
async function enforceSessionLimit(ctx: Ctx, userId: string, currentId: string): Promise<void> {
  const limit = await findSessionLimit(ctx.db, userId);
  if (!limit) return;
  const ended = await deleteOldestSessions(ctx.db, userId, currentId, limit.max);
  if (ended) {
    await recordAudit(ctx.db, ctx.clock, ctx.meta, {
      action: 'session.expired_by_policy',
      orgId: limit.orgId,
      actorId: userId,
      targetType: 'user',
      targetId: userId,
      data: { reason: 'max_sessions', maxSessions: limit.max, ended },
    });
  }
}

/** Records that the session passed the second factor now. */
export async function markSessionMfa(ctx: AppContext, sessionId: string): Promise<string> {
  const at = ctx.clock.now().toISOString();
  await setSessionMfa(ctx.db, sessionId, at);
  return at;
}

/** Ends every session of a user (second factor reset, revocation by an administrator); returns how many. */
export function endAllSessions(ctx: AppContext, userId: string): Promise<number> {
  return deleteAllUserSessions(ctx.db, userId);
}

/** Ends one session because an organization's policy says so (idle or too old). */
export async function endSession(ctx: AppContext, sessionId: string): Promise<void> {
  await deleteSession(ctx.db, sessionId);
}

export interface ValidSession {
  session: Session;
  user: User;
  /** True when the expiry moved forward, so the cookie must be sent again. */
  renewed: boolean;
}

/**
 * Resolves a cookie token to its session and user, or null. Sliding expiry: once half the
 * lifetime has passed, the session is extended by a full lifetime. The session returned
 * keeps `last_seen_at` as it was before this request (while the row is touched), so an
 * organization's idle timeout measures the gap before this request.
 */
export async function validateSessionToken(ctx: AppContext, token: string): Promise<ValidSession | null> {
  if (!token || token.length > 200) return null;
  const id = sha256Hex(token);
  const session = await findSession(ctx.db, id);
  if (!session) return null;
  const now = ctx.clock.now();
  const expires = new Date(session.expires_at).getTime();
  if (now.getTime() >= expires) {
    await deleteSession(ctx.db, id);
    return null;
  }
  const user = await findUserById(ctx.db, session.user_id);
  if (!user || !user.is_active) return null;
  let renewed = false;
  if (expires - now.getTime() < lifetime(ctx) / 2) {
    session.expires_at = new Date(now.getTime() + lifetime(ctx)).toISOString();
    await touchSession(ctx.db, id, { last_seen_at: now.toISOString(), expires_at: session.expires_at });
    renewed = true;
  } else if (now.getTime() - new Date(session.last_seen_at).getTime() > TOUCH_INTERVAL) {
    await touchSession(ctx.db, id, { last_seen_at: now.toISOString() });
  }
  return { session, user, renewed };
}

/** Ends the session behind a token (logout). */
export async function invalidateSession(ctx: Ctx, session: Session): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await deleteSession(trx, session.id);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'auth.logout', actorId: session.user_id, targetType: 'user', targetId: session.user_id });
  });
}

export interface PresentedSession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  /** How the session was made: password, ldap, saml or oidc. */
  method: string;
  /** Whether a second factor was checked in this session. */
  mfa: boolean;
  current: boolean;
}

/** The user's live sessions, most recently used first. */
export async function listMySessions(ctx: Ctx, userId: string, currentId?: string): Promise<PresentedSession[]> {
  const rows = await listUserSessions(ctx.db, userId, ctx.clock.now().toISOString());
  return rows.map((s) => ({
    id: s.id.slice(0, 16),
    createdAt: s.created_at,
    lastSeenAt: s.last_seen_at,
    expiresAt: s.expires_at,
    ip: s.ip,
    userAgent: s.user_agent,
    method: s.method,
    mfa: !!s.mfa_at,
    current: s.id === currentId,
  }));
}

/**
 * Revokes one of the user's own sessions, named by the public prefix of its id that
 * listMySessions shows. Another user's session is not found.
 */
export async function revokeMySession(ctx: Ctx, userId: string, publicId: string): Promise<void> {
  const rows = await listUserSessions(ctx.db, userId, ctx.clock.now().toISOString());
  const target = /^[0-9a-f]{16}$/.test(publicId) ? rows.find((s) => s.id.startsWith(publicId)) : undefined;
  if (!target) throw new AppError('not_found', 'Session not found');
  await ctx.db.transaction().execute(async (trx) => {
    await deleteUserSession(trx, userId, target.id);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'session.revoked', actorId: userId, targetType: 'user', targetId: userId });
  });
}
