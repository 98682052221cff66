import type { Role } from '../../src/platform/db/schema';
import { createAccountWithOrg, insertAccount, prepareAccount } from '../../src/modules/auth/auth.service';
import { createSession } from '../../src/modules/auth/session.service';
import { createOrg } from '../../src/modules/orgs/org.service';
import { createPersonalToken } from '../../src/modules/tokens/token.service';
import type { Ctx } from '../../src/shared/context';
import { newId } from '../../src/shared/ids';

export const PASSWORD = 'violet-Harbor-4417';

let n = 0;
function unique(prefix: string) {
  n += 1;
  return `${prefix}${n}-${newId(6)}`;
}

/** A user with a password; `PASSWORD` unless given. */
export async function buildUser(ctx: Ctx, o: { email?: string; name?: string; password?: string } = {}) {
  const user = await prepareAccount(ctx, { email: o.email ?? `${unique('user')}@example.com`, name: o.name ?? 'Test User', password: o.password ?? PASSWORD });
  await insertAccount(ctx, ctx.db, user);
  return user;
}

/** An organization; creates its owner when none is given. */
export async function buildOrg(ctx: Ctx, o: { name?: string; ownerId?: string } = {}) {
  if (o.ownerId) return { org: await createOrg(ctx, o.ownerId, o.name ?? unique('Org ')), ownerId: o.ownerId };
  const { user, org } = await createAccountWithOrg(
    ctx,
    { email: `${unique('owner')}@example.com`, name: 'Owner', password: PASSWORD, orgName: o.name ?? unique('Org ') },
    { firstOnly: false },
  );
  return { org, ownerId: user.id };
}

/** A user who is a member of `orgId` with `role`. */
export async function buildMember(ctx: Ctx, orgId: string, role: Role, o: { email?: string; name?: string } = {}) {
  const user = await buildUser(ctx, o);
  await ctx.db.insertInto('org_member').values({ org_id: orgId, user_id: user.id, role, created_at: ctx.clock.now().toISOString() }).execute();
  return user;
}

/** A session cookie header value for `userId`. */
export async function sessionCookie(ctx: Ctx, userId: string) {
  const { token } = await createSession(ctx, userId);
  return `folio_session=${token}`;
}

/** A personal API token for `userId`. */
export async function apiToken(ctx: Ctx, userId: string) {
  return (await createPersonalToken(ctx, userId, { name: 'test' })).token;
}
