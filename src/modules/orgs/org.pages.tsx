import { type Context, Hono } from 'hono';
import { can, ROLES } from '../../authz';
import { DangerButton, Field, FormError, PageHeader, RoleSelect, Time } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { readForm } from '../../platform/http/input';
import { baseUrl } from '../../platform/http/request';
import { renderFragment } from '../../platform/http/render';
import type { AppEnv } from '../../platform/http/types';
import { isHtmx } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { flash, page } from '../web/shell';
import { createInvitation, listInvitations, revokeInvitation } from './invitation.service';
import { changeMemberRole, createOrg, listOrgMembers, type PresentedMember, removeMember, renameOrg } from './org.service';
import { tenant } from './tenant';
import type { Actor } from '../../authz';

/** Redisplays a form with the service's message when a user-facing error occurs. */
function userError(err: unknown): string {
  if (err instanceof AppError && err.code !== 'internal_error') return err.message;
  throw err;
}

function MemberRow({ m, actor, slug }: { m: PresentedMember; actor: Actor; slug: string }) {
  const target = { orgId: actor.orgId, userId: m.userId, role: m.role };
  const mayEdit = can(actor, 'member.update', target);
  const mayRemove = can(actor, 'member.remove', target);
  const base = `/o/${slug}/members/${m.userId}`;
  const maySecure = can(actor, 'signin.manage') && m.userId !== actor.userId && (m.role !== 'owner' || actor.role === 'owner');
  return (
    <tr id={`member-${m.userId}`}>
      <td>
        <strong>{m.name}</strong>
        <br />
        <span class="muted">{m.email}</span>
      </td>
      <td>
        {mayEdit ? (
          <form method="post" action={`${base}/role`} class="inline" hx-post={`${base}/role`} hx-target={`#member-${m.userId}`} hx-swap="outerHTML">
            <RoleSelect name="role" value={m.role} roles={actor.role === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner')} label={`Role of ${m.email}`} />
            <button type="submit" class="secondary small">Save</button>
          </form>
        ) : (
          <span class={`badge badge--${m.role}`}>{m.role}</span>
        )}
      </td>
      <td><Time iso={m.lastLoginAt} /></td>
      <td>
        {maySecure && <DangerButton action={`${base}/sessions/revoke`} label="Revoke sessions" confirm={`Sign ${m.email} out everywhere?`} />}
        {maySecure && <DangerButton action={`${base}/mfa/reset`} label="Reset two-factor" confirm={`Remove ${m.email}'s authenticator and recovery codes and sign them out?`} />}
        {mayRemove && (
          <DangerButton
            action={`${base}/remove`}
            label={m.userId === actor.userId ? 'Leave' : 'Remove'}
            confirm={m.userId === actor.userId ? 'Leave this organization?' : `Remove ${m.email}?`}
          />
        )}
      </td>
    </tr>
  );
}

/** Organization pages: overview, members and invitations, settings; creating an organization. */
export function orgPages() {
  const app = new Hono<AppEnv>();

  app.get('/orgs/new', requireUser, (c) =>
    page(c, { title: 'New organization' }, (
      <section class="card">
        <h1>New organization</h1>
        <form method="post" action="/orgs">
          <Field name="name" label="Name" required autofocus />
          <button type="submit">Create</button>
        </form>
      </section>
    )),
  );

  app.post('/orgs', requireUser, async (c) => {
    const f = await readForm(c);
    try {
      const org = await createOrg(c.get('ctx'), c.get('user')!.id, f.name ?? '');
      flash(c, `${org.name} created.`);
      return c.redirect(`/o/${org.slug}`, 303);
    } catch (err) {
      const message = userError(err);
      return page(c, { title: 'New organization', status: 400 }, (
        <section class="card">
          <h1>New organization</h1>
          <form method="post" action="/orgs">
            <Field name="name" label="Name" value={f.name} error={message} required autofocus />
            <button type="submit">Create</button>
          </form>
        </section>
      ));
    }
  });

  const o = new Hono<AppEnv>();
  o.use('*', requireUser, tenant);

  o.get('/', async (c) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const org = c.get('org')!;
    const members = await listOrgMembers(ctx, actor);
    return page(c, { title: org.name, active: 'overview' }, (
      <>
        <PageHeader title={org.name} />
        <div class="stats">
          <div class="card stat"><span class="muted">Members</span><strong>{members.length}</strong></div>
          <div class="card stat"><span class="muted">Your role</span><strong>{actor.role}</strong></div>
          <div class="card stat"><span class="muted">Created</span><strong><Time iso={org.created_at} /></strong></div>
        </div>
      </>
    ));
  });

  const membersView = async (c: Context<AppEnv>, link?: string, notice?: string) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const org = c.get('org')!;
    const members = await listOrgMembers(ctx, actor);
    const invitations = can(actor, 'member.invite') ? await listInvitations(ctx, actor) : [];
    if (link) c.header('Cache-Control', 'no-store');
    return page(c, { title: 'Members', active: 'members', status: link ? 201 : 200, notice }, (
      <>
        <PageHeader title="Members" />
        {can(actor, 'member.invite') && (
          <section class="card">
            <h2>Invite someone</h2>
            <form method="post" action={`/o/${org.slug}/invitations`} class="row">
              <Field name="email" label="Email (optional)" type="email" hint="Without SMTP configured, copy the link and send it yourself." />
              <div class="field">
                <label for="f-role">Role</label>
                <RoleSelect id="f-role" name="role" value="member" roles={actor.role === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner')} />
              </div>
              <button type="submit">Create invitation link</button>
            </form>
            {link && (
              <div class="field">
                <label for="invite-link">Invitation link (shown once)</label>
                <div class="copybox">
                  <input id="invite-link" readOnly value={link} />
                  <button type="button" class="secondary" data-copy="invite-link">Copy</button>
                </div>
              </div>
            )}
          </section>
        )}
        <h2>People</h2>
        <table>
          <thead><tr><th>Member</th><th>Role</th><th>Last sign-in</th><th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{members.map((m) => <MemberRow m={m} actor={actor} slug={org.slug} />)}</tbody>
        </table>
        {invitations.length > 0 && (
          <>
            <h2>Pending invitations</h2>
            <table>
              <thead><tr><th>For</th><th>Role</th><th>Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {invitations.map((i) => (
                  <tr>
                    <td>{i.email ?? <span class="muted">anyone with the link</span>}</td>
                    <td><span class="badge">{i.role}</span></td>
                    <td><Time iso={i.expiresAt} /></td>
                    <td>
                      <DangerButton action={`/o/${org.slug}/invitations/${i.id}/revoke`} label="Withdraw" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </>
    ));
  };

  o.get('/members', (c) => membersView(c));

  o.post('/members/:userId/role', async (c) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const org = c.get('org')!;
    const f = await readForm(c);
    const m = await changeMemberRole(ctx, actor, c.req.param('userId'), f.role ?? '');
    if (isHtmx(c)) {
      const viewer = m.userId === actor.userId ? { ...actor, role: m.role } : actor;
      return renderFragment(c, <MemberRow m={m} actor={viewer} slug={org.slug} />);
    }
    flash(c, `${m.email} is now ${m.role}.`);
    return c.redirect(`/o/${org.slug}/members`, 303);
  });

  o.post('/members/:userId/remove', async (c) => {
    const actor = c.get('actor')!;
    const org = c.get('org')!;
    const userId = c.req.param('userId');
    await removeMember(c.get('ctx'), actor, userId);
    if (userId === actor.userId) {
      flash(c, `You left ${org.name}.`);
      return c.redirect('/', 303);
    }
    flash(c, 'Member removed.');
    return c.redirect(`/o/${org.slug}/members`, 303);
  });

  o.post('/invitations', async (c) => {
    const ctx = c.get('ctx');
    const f = await readForm(c);
    const r = await createInvitation(ctx, c.get('actor')!, { email: f.email || null, role: f.role ?? 'member' }, baseUrl(c, ctx.config));
    // The link is a secret: it is shown in this response only, never put in a URL.
    return membersView(c, r.link, r.emailed ? `Invitation emailed to ${r.invitation.email}. The link is also below.` : 'Invitation created. Copy the link below and send it.');
  });

  o.post('/invitations/:id/revoke', async (c) => {
    await revokeInvitation(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    flash(c, 'Invitation withdrawn.');
    return c.redirect(`/o/${c.get('org')!.slug}/members`, 303);
  });

  const settingsView = (c: Parameters<typeof page>[0], name: string, error?: string) =>
    page(c, { title: 'Settings', active: 'settings', status: error ? 400 : 200 }, (
      <>
        <PageHeader title="Organization settings" />
        <section class="card">
          <form method="post" action={`/o/${c.get('org')!.slug}/settings`}>
            <FormError message={error} />
            <Field name="name" label="Organization name" value={name} required />
            <p class="muted">Address: <code>/o/{c.get('org')!.slug}</code></p>
            <button type="submit">Save</button>
          </form>
        </section>
        <section class="card">
          <h2>Key fields and review</h2>
          <p class="muted">The confidence below which documents wait for review, and this organization's own document types.</p>
          <p><a href={`/o/${c.get('org')!.slug}/settings/extraction`}>Extraction settings</a></p>
        </section>
        <section class="card">
          <h2>Answers</h2>
          <p class="muted">The Ollama server and model that answer questions, time limits, and limits on use.</p>
          <p><a href={`/o/${c.get('org')!.slug}/settings/answers`}>Answer settings</a></p>
        </section>
      </>
    ));

  o.get('/settings', (c) => {
    if (!can(c.get('actor')!, 'org.update')) throw new AppError('forbidden', 'Only administrators can change organization settings.');
    return settingsView(c, c.get('org')!.name);
  });

  o.post('/settings', async (c) => {
    const f = await readForm(c);
    try {
      await renameOrg(c.get('ctx'), c.get('actor')!, f.name ?? '');
    } catch (err) {
      return settingsView(c, f.name ?? '', userError(err));
    }
    flash(c, 'Settings saved.');
    return c.redirect(`/o/${c.get('org')!.slug}/settings`, 303);
  });

  app.route('/o/:org', o);
  return app;
}
