import type { Context } from 'hono';
import type { ComponentChildren } from 'preact';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { can } from '../../authz';
import type { AppEnv } from '../../platform/http/types';
import { renderPage } from '../../platform/http/render';
import { Layout, type NavItem } from '../../../views/layout';
import { reviewQueue } from '../extraction/extraction.service';
import { listMyOrgs } from '../orgs/org.service';

const FLASH = 'folio_flash';

/** Leaves a one-time message for the next page (post, redirect, get). */
export function flash(c: Context<AppEnv>, message: string) {
  setCookie(c, FLASH, message.slice(0, 300), { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 60 });
}

function takeFlash(c: Context<AppEnv>): string | null {
  const v = getCookie(c, FLASH);
  if (!v) return null;
  deleteCookie(c, FLASH, { path: '/' });
  return v;
}

/** Navigation of an organization, showing only what the viewer may open; Review counts what waits. */
async function orgNav(c: Context<AppEnv>): Promise<NavItem[] | undefined> {
  const actor = c.get('actor');
  const org = c.get('org');
  if (!actor || !org) return undefined;
  const base = `/o/${org.slug}`;
  const waiting = can(actor, 'document.read') ? (await reviewQueue(c.get('ctx'), actor, { page: 1, perPage: 1 })).total : 0;
  const items: (NavItem | false)[] = [
    { key: 'overview', label: 'Overview', href: base },
    can(actor, 'document.read') && { key: 'documents', label: 'Documents', href: `${base}/documents` },
    can(actor, 'document.read') && { key: 'search', label: 'Search', href: `${base}/search` },
    can(actor, 'document.read') && { key: 'answers', label: 'Answers', href: `${base}/answers` },
    can(actor, 'document.read') && { key: 'review', label: waiting ? `Review (${waiting})` : 'Review', href: `${base}/review` },
    can(actor, 'member.read') && { key: 'members', label: 'Members', href: `${base}/members` },
    can(actor, 'team.read') && { key: 'teams', label: 'Teams', href: `${base}/teams` },
    can(actor, 'audit.read') && { key: 'audit', label: 'Audit log', href: `${base}/audit` },
    can(actor, 'signin.manage') && { key: 'signin', label: 'Sign-in & security', href: `${base}/settings/sign-in` },
    can(actor, 'org.update') && { key: 'settings', label: 'Settings', href: `${base}/settings` },
  ];
  return items.filter((i): i is NavItem => !!i);
}

/** Renders a signed-in page inside the application frame. */
export async function page(c: Context<AppEnv>, opts: { title: string; active?: string; status?: number; notice?: string }, body: ComponentChildren) {
  const user = c.get('user');
  const org = c.get('org');
  const actor = c.get('actor');
  const [orgs, nav] = await Promise.all([user ? listMyOrgs(c.get('ctx'), user.id) : [], orgNav(c)]);
  return renderPage(
    c,
    <Layout
      title={opts.title}
      viewer={user && { name: user.name, email: user.email }}
      org={org && actor ? { slug: org.slug, name: org.name, role: actor.role } : undefined}
      orgs={orgs.map((o) => ({ slug: o.slug, name: o.name, role: o.role }))}
      nav={nav}
      active={opts.active}
      notice={opts.notice ?? takeFlash(c)}
    >
      {body}
    </Layout>,
    opts.status,
  );
}

export { takeFlash };
