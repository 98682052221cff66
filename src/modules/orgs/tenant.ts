import type { Context, MiddlewareHandler } from 'hono';
import { clearSessionCookie } from '../../platform/http/auth';
import type { Org, OrgSecurityPolicy } from '../../platform/db/schema';
import { type AppEnv, isApi, isHtmx } from '../../platform/http/types';
import { AppError, notFound } from '../../shared/errors';
import { findSecurityPolicy } from '../identity/identity.repository';
import { enforceOrgPolicy, type PolicyVerdict } from '../identity/policy/policy.service';
import { flash } from '../web/shell';
import { resolveMembership } from './org.service';

// The policy read once per request and organization (a request may pass this middleware twice).
const policies = new WeakMap<Request, Map<string, Promise<OrgSecurityPolicy | undefined>>>();

function policyOf(c: Context<AppEnv>, orgId: string): Promise<OrgSecurityPolicy | undefined> {
  let byOrg = policies.get(c.req.raw);
  if (!byOrg) policies.set(c.req.raw, (byOrg = new Map()));
  let p = byOrg.get(orgId);
  if (!p) byOrg.set(orgId, (p = findSecurityPolicy(c.get('ctx').db, orgId)));
  return p;
}

/** Sends a page request elsewhere (htmx requests are told to navigate). */
function goTo(c: Context<AppEnv>, url: string) {
  if (isHtmx(c)) {
    c.header('HX-Redirect', url);
    return c.body(null, 200);
  }
  return c.redirect(url, c.req.method === 'GET' ? 302 : 303);
}

function here(c: Context<AppEnv>, org: Org): string {
  return c.req.method === 'GET' ? c.req.path + (new URL(c.req.url).search || '') : `/o/${org.slug}`;
}

/** Answers a request the organization's policy refuses: an error for the API, a redirect or error page for pages. */
function refuse(c: Context<AppEnv>, org: Org, v: Exclude<PolicyVerdict, { kind: 'ok' }>, ssoOnly: boolean) {
  const api = isApi(c);
  const next = encodeURIComponent(here(c, org));
  switch (v.kind) {
    case 'ip_blocked':
      throw new AppError('ip_not_allowed', v.message);
    case 'expired':
      clearSessionCookie(c);
      if (api) throw new AppError('unauthenticated', v.message);
      flash(c, v.message);
      return goTo(c, ssoOnly ? `/sso/${org.slug}?next=${next}` : `/login?next=${next}`);
    case 'sso_required':
      if (api) throw new AppError('forbidden', `${org.name} is entered through its single sign-on only: sign in at /sso/${org.slug}.`);
      return goTo(c, `/sso/${org.slug}?next=${next}`);
    case 'mfa_required':
      if (api) {
        const how = v.enrolled ? 'Verify this session with a code at /account/security.' : 'Set it up at /account/security first.';
        throw new AppError('mfa_required', `${org.name} requires two-factor sign-in. ${how}`);
      }
      return goTo(c, `/account/security?required=${encodeURIComponent(org.slug)}`);
  }
}

/**
 * For routes under an organization (`:org` is its slug or id), pages and API alike: the
 * caller must be a member, and anyone else gets 404 as if it did not exist. A session that
 * another organization's identity provider made does not count as membership here. Then
 * the organization's security policy (one query, none when it has no policy): IP
 * allowlist, session idle timeout and lifetime, single sign-on only, second factor.
 * Sets `org` and `actor`.
 */
export const tenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = c.get('user');
  if (!user) throw new AppError('unauthenticated', 'Sign in first.');
  const ctx = c.get('ctx');
  const { org, actor } = await resolveMembership(ctx, c.req.param('org') ?? '', user.id);
  const session = c.get('authMethod') === 'session' ? c.get('session') : undefined;
  if (session?.org_id && session.org_id !== org.id) throw notFound('Organization');
  const policy = await policyOf(c, org.id);
  const verdict = await enforceOrgPolicy(ctx, policy, { org, actor, session, viaToken: c.get('authMethod') === 'token' });
  if (verdict.kind !== 'ok') return refuse(c, org, verdict, !!policy?.sso_only);
  c.set('org', org);
  c.set('actor', actor);
  c.set('log', c.get('log').child({ orgId: org.id, userId: user.id }));
  await next();
};
