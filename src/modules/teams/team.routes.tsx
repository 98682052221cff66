import { Hono } from 'hono';
import { z } from 'zod';
import { can } from '../../authz';
import { DangerButton, Field, PageHeader } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { readForm, readJson, validate } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { flash, page } from '../web/shell';
import { listOrgMembers } from '../orgs/org.service';
import { tenant } from '../orgs/tenant';
import * as teams from './team.service';

/** JSON API under `/api/v1/orgs/:org/teams`. */
export function teamRoutes() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);
  app.get('/', async (c) => c.json({ teams: await teams.listOrgTeams(c.get('ctx'), c.get('actor')!) }));
  app.post('/', async (c) => c.json(await teams.createTeam(c.get('ctx'), c.get('actor')!, validate(teams.ZTeamInput, await readJson(c))), 201));
  app.get('/:id', async (c) => {
    const team = await teams.getTeam(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.json({ ...team, members: await teams.listMembersOfTeam(c.get('ctx'), c.get('actor')!, team.id) });
  });
  app.patch('/:id', async (c) =>
    c.json(await teams.updateTeam(c.get('ctx'), c.get('actor')!, c.req.param('id'), validate(teams.ZTeamInput.partial(), await readJson(c)))),
  );
  app.delete('/:id', async (c) => {
    await teams.deleteTeam(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    return c.body(null, 204);
  });
  app.put('/:id/members/:userId', async (c) => {
    await teams.addTeamMember(c.get('ctx'), c.get('actor')!, c.req.param('id'), c.req.param('userId'));
    return c.body(null, 204);
  });
  app.delete('/:id/members/:userId', async (c) => {
    await teams.removeTeamMember(c.get('ctx'), c.get('actor')!, c.req.param('id'), c.req.param('userId'));
    return c.body(null, 204);
  });
  return app;
}

const ZTeamForm = z.object({ name: z.string(), parentId: z.string().optional() });

/** The teams page of an organization. */
export function teamPages() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);

  app.get('/', async (c) => {
    const ctx = c.get('ctx');
    const actor = c.get('actor')!;
    const slug = c.get('org')!.slug;
    const list = await teams.listOrgTeams(ctx, actor);
    const members = can(actor, 'team.update') ? await listOrgMembers(ctx, actor) : [];
    const rosters = await Promise.all(list.map((t) => teams.listMembersOfTeam(ctx, actor, t.id)));
    return page(c, { title: 'Teams', active: 'teams' }, (
      <>
        <PageHeader title="Teams" />
        {can(actor, 'team.create') && (
          <section class="card">
            <form method="post" action={`/o/${slug}/teams`} class="row">
              <Field name="name" label="New team" required />
              <div class="field">
                <label for="f-parent">Inside</label>
                <select id="f-parent" name="parentId">
                  <option value="">(top level)</option>
                  {list.map((t) => <option value={t.id}>{t.path.join(' › ')}</option>)}
                </select>
              </div>
              <button type="submit">Create team</button>
            </form>
          </section>
        )}
        {list.length === 0 && <p class="muted">No teams yet.</p>}
        {list.map((t, i) => (
          <section class="card" id={`team-${t.id}`}>
            <div class="pagehead">
              <h2 style={undefined}>{t.path.join(' › ')}</h2>
              {can(actor, 'team.delete') && (
                <DangerButton action={`/o/${slug}/teams/${t.id}/delete`} label="Delete" confirm={`Delete ${t.name} and the teams inside it?`} />
              )}
            </div>
            <p class="muted">{t.memberCount} member{t.memberCount === 1 ? '' : 's'}: {rosters[i].map((m) => m.name).join(', ') || '—'}</p>
            {can(actor, 'team.update') && (
              <form method="post" action={`/o/${slug}/teams/${t.id}/members`} class="row">
                <div class="field">
                  <label for={`add-${t.id}`}>Add member</label>
                  <select id={`add-${t.id}`} name="userId">
                    {members.filter((m) => !rosters[i].some((r) => r.userId === m.userId)).map((m) => <option value={m.userId}>{m.name} ({m.email})</option>)}
                  </select>
                </div>
                <button type="submit" class="secondary">Add</button>
              </form>
            )}
          </section>
        ))}
      </>
    ));
  });

  app.post('/', async (c) => {
    const f = validate(ZTeamForm, await readForm(c));
    const input = validate(teams.ZTeamInput, { name: f.name, parentId: f.parentId || null });
    const team = await teams.createTeam(c.get('ctx'), c.get('actor')!, input);
    flash(c, `Team ${team.name} created.`);
    return c.redirect(`/o/${c.get('org')!.slug}/teams`, 303);
  });

  app.post('/:id/delete', async (c) => {
    await teams.deleteTeam(c.get('ctx'), c.get('actor')!, c.req.param('id'));
    flash(c, 'Team deleted.');
    return c.redirect(`/o/${c.get('org')!.slug}/teams`, 303);
  });

  app.post('/:id/members', async (c) => {
    const f = await readForm(c);
    await teams.addTeamMember(c.get('ctx'), c.get('actor')!, c.req.param('id'), f.userId ?? '');
    flash(c, 'Member added to the team.');
    return c.redirect(`/o/${c.get('org')!.slug}/teams`, 303);
  });
  return app;
}
