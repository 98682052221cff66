import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { buildOrg, sessionCookie } from '../support/factories';

for (const dialect of DIALECTS) {
  describe(`HTTP hygiene (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { server: { maxBodyBytes: 2048 } } });

    it('gives every response a request id and security headers, keeping a safe incoming id', async () => {
      const res = await t().request('GET', '/login', { headers: { 'X-Request-Id': 'abc-123' } });
      expect(res.headers.get('X-Request-Id')).toBe('abc-123');
      const csp = res.headers.get('Content-Security-Policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(res.headers.get('X-Frame-Options')).toBe('DENY');
      const hostile = await t().request('GET', '/healthz', { headers: { 'X-Request-Id': '<script>alert(1)</script>' } });
      expect(hostile.headers.get('X-Request-Id')).toMatch(/^[a-z0-9]{16}$/);
    });

    it('answers health and readiness checks', async () => {
      expect(await (await t().request('GET', '/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await t().request('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: dialect });
    });

    it('rejects malformed JSON, the wrong content type and oversized bodies with clear errors', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const bad = await t().request('PATCH', `/api/v1/orgs/${org.slug}`, { cookie, body: '{"name": ', headers: { 'Content-Type': 'application/json' } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('not valid JSON') });
      const form = await t().request('PATCH', `/api/v1/orgs/${org.slug}`, { cookie, form: { name: 'x' } });
      expect(form.status).toBe(415);
      const big = await t().request('PATCH', `/api/v1/orgs/${org.slug}`, { cookie, json: { name: 'x'.repeat(5000) } });
      expect(big.status).toBe(413);
      expect((await big.json()).error.code).toBe('payload_too_large');
      const invalid = await t().request('PATCH', `/api/v1/orgs/${org.slug}`, { cookie, json: { name: '' } });
      expect(invalid.status).toBe(400);
      expect((await invalid.json()).error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('name') });
    });

    it('answers unknown routes with 404 in the caller’s format', async () => {
      const api = await t().request('GET', '/api/v1/nothing-here');
      expect(api.status).toBe(404);
      expect((await api.json()).error.code).toBe('not_found');
      const page = await t().request('GET', '/nothing-here');
      expect(page.status).toBe(404);
      expect(page.headers.get('Content-Type')).toContain('text/html');
      expect(await page.text()).toContain('Not found');
    });

    it('refuses cookie-authenticated writes from another site (CSRF) but accepts bearer tokens', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const forged = await t().request('PATCH', `/api/v1/orgs/${org.slug}`, { cookie, json: { name: 'Pwned' }, headers: { Origin: 'https://evil.example' } });
      expect(forged.status).toBe(403);
      expect((await forged.json()).error.code).toBe('csrf_rejected');
      const noOrigin = await t().request('POST', '/logout', { cookie, headers: { Origin: '' } });
      expect(noOrigin.status).toBe(403);
      const sameOrigin = await t().request('PATCH', `/api/v1/orgs/${org.slug}`, { cookie, json: { name: 'Renamed' } });
      expect(sameOrigin.status).toBe(200);
    });

    it('never shows internals for unexpected errors', async () => {
      const app = buildApp(t().ctx);
      app.get('/api/v1/test-failure', () => {
        throw new Error('connection to 10.0.0.5 failed: password=hunter2');
      });
      const res = await app.request('/api/v1/test-failure');
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(JSON.parse(body).error.code).toBe('internal_error');
      expect(body).not.toContain('hunter2');
      const bad = await t().request('GET', '/api/v1/me', { token: 'folio_pat_nonsense' });
      expect(bad.status).toBe(401);
      expect((await bad.json()).error.code).toBe('unauthenticated');
    });
  });
}
