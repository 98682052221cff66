import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { cookieFrom, useTestApp } from '../support/app';
import { buildOrg, buildUser, PASSWORD, sessionCookie } from '../support/factories';

const DAY = 24 * 60 * 60 * 1000;

for (const dialect of DIALECTS) {
  describe(`accounts and sessions (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { auth: { lockoutThreshold: 3, lockoutBaseSeconds: 60 } } });

    it('first visit goes to setup; setup creates the organization and its owner, then only sign-in remains', async () => {
      expect((await t().request('GET', '/')).headers.get('Location')).toBe('/setup');
      const weak = await t().request('POST', '/setup', { form: { orgName: 'Acme', name: 'Ada', email: 'ada@acme.test', password: 'password1' } });
      expect(weak.status).toBe(400);
      expect(await weak.text()).toContain('most commonly used passwords');
      const res = await t().request('POST', '/setup', { form: { orgName: 'Acme Corp', name: 'Ada', email: 'Ada@Acme.test', password: PASSWORD } });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/o/acme-corp');
      const cookie = cookieFrom(res);
      const overview = await t().request('GET', '/o/acme-corp', { cookie });
      expect(await overview.text()).toContain('Acme Corp');
      expect((await t().request('GET', '/setup')).headers.get('Location')).toBe('/login');
      const again = await t().request('POST', '/setup', { form: { orgName: 'Evil', name: 'Eve', email: 'eve@x.test', password: PASSWORD } });
      expect(again.headers.get('Location')).toBe('/login');
      const me = await (await t().request('GET', '/api/v1/me', { cookie })).json();
      expect(me).toMatchObject({ email: 'ada@acme.test', orgs: [{ slug: 'acme-corp', role: 'owner' }] });
      expect(me.lastLoginAt).toBe(t().clock.now().toISOString());
    });

    it('sets a HttpOnly, SameSite=Lax session cookie, Secure over HTTPS, storing only a hash', async () => {
      const user = await buildUser(t().ctx);
      const res = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD } });
      const raw = res.headers.getSetCookie().find((c) => c.startsWith('folio_session='))!;
      expect(raw).toMatch(/HttpOnly/);
      expect(raw).toMatch(/SameSite=Lax/);
      expect(raw).not.toMatch(/Secure/);
      const token = cookieFrom(res).split('=')[1];
      const stored = await t().ctx.db.selectFrom('session').select('id').where('user_id', '=', user.id).execute();
      expect(stored.map((s) => s.id)).not.toContain(token);
      const https = await t().app.request('https://folio.example/login', { method: 'POST', headers: { Origin: 'https://folio.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email: user.email, password: PASSWORD }).toString() });
      expect(https.headers.getSetCookie().find((c) => c.startsWith('folio_session='))).toMatch(/Secure/);
    });

    it('wrong password and unknown email get the same answer', async () => {
      const user = await buildUser(t().ctx);
      const wrong = await t().request('POST', '/login', { form: { email: user.email, password: 'not-the-password' } });
      const unknown = await t().request('POST', '/login', { form: { email: 'nobody@nowhere.test', password: 'not-the-password' } });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const msg = (html: string) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
      expect(msg(await wrong.text())).toBe('The email or password is incorrect.');
      expect(msg(await unknown.text())).toBe('The email or password is incorrect.');
      const events = await t().ctx.db.selectFrom('audit_event').selectAll().where('action', '=', 'auth.login_failed').execute();
      expect(events.some((e) => e.target_id === user.id)).toBe(true);
    });

    it('locks an email out after repeated failures with a growing delay, then lets the right password in', async () => {
      const user = await buildUser(t().ctx);
      for (let i = 0; i < 3; i++) {
        expect((await t().request('POST', '/login', { form: { email: user.email, password: `wrong-${i}` } })).status).toBe(401);
      }
      const locked = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD } });
      expect(locked.status).toBe(429);
      expect(await locked.text()).toContain('Try again in 1 minute');
      // Unknown emails lock the same way, so the lockout reveals nothing.
      for (let i = 0; i < 4; i++) await t().request('POST', '/login', { form: { email: 'ghost@nowhere.test', password: `wrong-${i}` } });
      expect((await t().request('POST', '/login', { form: { email: 'ghost@nowhere.test', password: 'x' } })).status).toBe(429);
      t().clock.advance(61_000);
      // One more failure after the first lock doubles the delay.
      expect((await t().request('POST', '/login', { form: { email: user.email, password: 'still-wrong' } })).status).toBe(401);
      const again = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD } });
      expect(await again.text()).toContain('Try again in 2 minutes');
      t().clock.advance(121_000);
      const ok = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD } });
      expect(ok.status).toBe(303);
      expect((await t().ctx.db.selectFrom('audit_event').select('action').where('action', '=', 'auth.locked').execute()).length).toBeGreaterThan(0);
    });

    it('keeps a session alive while used (sliding expiry) and ends it after the lifetime', async () => {
      const user = await buildUser(t().ctx);
      const login = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD } });
      const cookie = cookieFrom(login);
      t().clock.advance(20 * DAY);
      const renewed = await t().request('GET', '/api/v1/me', { cookie });
      expect(renewed.status).toBe(200);
      expect(renewed.headers.getSetCookie().some((c) => c.startsWith('folio_session='))).toBe(true);
      t().clock.advance(25 * DAY);
      expect((await t().request('GET', '/api/v1/me', { cookie })).status).toBe(200);
      t().clock.advance(31 * DAY);
      expect((await t().request('GET', '/api/v1/me', { cookie })).status).toBe(401);
      expect((await t().request('GET', '/account/sessions', { cookie })).headers.get('Location')).toBe('/login?next=%2Faccount%2Fsessions');
    });

    it('lists my sessions and revokes another one; logout ends the current one', async () => {
      const user = await buildUser(t().ctx);
      const a = cookieFrom(await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD }, headers: { 'User-Agent': 'Laptop browser' } }));
      const b = cookieFrom(await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD }, headers: { 'User-Agent': 'Phone browser' } }));
      const page = await (await t().request('GET', '/account/sessions', { cookie: a })).text();
      expect(page).toContain('Laptop browser');
      expect(page).toContain('Phone browser');
      const other = /id="session-([0-9a-f]{16})"><td>Phone browser/.exec(page)![1];
      const revoke = await t().request('POST', `/account/sessions/${other}/revoke`, { cookie: a });
      expect(revoke.status).toBe(303);
      expect((await t().request('GET', '/api/v1/me', { cookie: b })).status).toBe(401);
      // Someone else's session id is not found.
      const stranger = await buildUser(t().ctx);
      const strangerCookie = await sessionCookie(t().ctx, stranger.id);
      const mine = /id="session-([0-9a-f]{16})"/.exec(await (await t().request('GET', '/account/sessions', { cookie: a })).text())![1];
      expect((await t().request('POST', `/account/sessions/${mine}/revoke`, { cookie: strangerCookie })).status).toBe(404);
      const out = await t().request('POST', '/logout', { cookie: a });
      expect(out.headers.get('Location')).toBe('/login');
      expect((await t().request('GET', '/api/v1/me', { cookie: a })).status).toBe(401);
      const actions = (await t().ctx.db.selectFrom('audit_event').select('action').where('actor_id', '=', user.id).execute()).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['auth.login', 'session.revoked', 'auth.logout']));
    });

    it('authenticates API calls with personal tokens until revoked', async () => {
      const { ownerId } = await buildOrg(t().ctx);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const created = await t().request('POST', '/api/v1/me/tokens', { cookie, json: { name: 'scanner', expiresInDays: 30 } });
      expect(created.status).toBe(201);
      const { token, id } = await created.json();
      expect(token).toMatch(/^folio_pat_/);
      const me = await t().request('GET', '/api/v1/me', { token });
      expect(me.status).toBe(200);
      expect((await me.json()).authMethod).toBe('token');
      expect((await t().request('DELETE', `/api/v1/me/tokens/${id}`, { cookie })).status).toBe(204);
      expect((await t().request('GET', '/api/v1/me', { token })).status).toBe(401);
    });

    it('redirects only to local paths after sign-in', async () => {
      const user = await buildUser(t().ctx);
      const evil = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD, next: '//evil.example/x' } });
      expect(evil.headers.get('Location')).toBe('/');
      const good = await t().request('POST', '/login', { form: { email: user.email, password: PASSWORD, next: '/account/sessions' } });
      expect(good.headers.get('Location')).toBe('/account/sessions');
    });
  });
}
