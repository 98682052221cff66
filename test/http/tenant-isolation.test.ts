import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg, sessionCookie } from '../support/factories';

/**
 * Every record of organization A, read, changed or deleted by the owner of organization B,
 * must answer 404 exactly as if it did not exist. Each module adds its records here.
 */
interface Fixture {
  orgSlug: string;
  orgId: string;
  memberId: string;
  teamId: string;
  invitationId: string;
  documentId: string;
  folderId: string;
  typeKey: string;
}

type Case = [method: string, path: (a: Fixture) => string, body?: unknown];

const API_CASES: Case[] = [
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgId}`],
  ['PATCH', (a) => `/api/v1/orgs/${a.orgSlug}`, { name: 'Taken over' }],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/members`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/members/${a.memberId}`],
  ['PATCH', (a) => `/api/v1/orgs/${a.orgSlug}/members/${a.memberId}`, { role: 'viewer' }],
  ['DELETE', (a) => `/api/v1/orgs/${a.orgSlug}/members/${a.memberId}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/invitations`],
  ['POST', (a) => `/api/v1/orgs/${a.orgSlug}/invitations`, { role: 'owner' }],
  ['DELETE', (a) => `/api/v1/orgs/${a.orgSlug}/invitations/${a.invitationId}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/teams`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/teams/${a.teamId}`],
  ['PATCH', (a) => `/api/v1/orgs/${a.orgSlug}/teams/${a.teamId}`, { name: 'x' }],
  ['DELETE', (a) => `/api/v1/orgs/${a.orgSlug}/teams/${a.teamId}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/audit-events`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/text`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/file`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/pages/1/preview`],
  ['PATCH', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}`, { name: 'stolen' }],
  ['DELETE', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}`],
  ['POST', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/restore`],
  ['POST', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/retry`],
  ['POST', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/password`, { password: 'x' }],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/tags`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/folders`],
  ['PATCH', (a) => `/api/v1/orgs/${a.orgSlug}/folders/${a.folderId}`, { name: 'x' }],
  ['DELETE', (a) => `/api/v1/orgs/${a.orgSlug}/folders/${a.folderId}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/extraction`],
  ['PUT', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/extraction`, { fields: {} }],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/extraction/corrections`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/review-queue`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/extractions/export`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/document-types`],
  ['PUT', (a) => `/api/v1/orgs/${a.orgSlug}/document-types/${a.typeKey}`, { name: 'Taken over', keywords: ['secret'], fields: [{ name: 'ref', label: 'Ref', kind: 'text' }] }],
  ['DELETE', (a) => `/api/v1/orgs/${a.orgSlug}/document-types/${a.typeKey}`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/settings/review`],
  ['PUT', (a) => `/api/v1/orgs/${a.orgSlug}/settings/review`, { threshold: 0 }],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/search?q=invoice`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/search/queries`],
  ['GET', (a) => `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/search?q=invoice`],
];

const PAGE_CASES: Case[] = [
  ['GET', (a) => `/o/${a.orgSlug}`],
  ['GET', (a) => `/o/${a.orgSlug}/members`],
  ['GET', (a) => `/o/${a.orgSlug}/teams`],
  ['GET', (a) => `/o/${a.orgSlug}/audit`],
  ['GET', (a) => `/o/${a.orgSlug}/search?q=invoice`],
  ['GET', (a) => `/o/${a.orgSlug}/settings`],
  ['POST', (a) => `/o/${a.orgSlug}/settings`, { name: 'x' }],
  ['POST', (a) => `/o/${a.orgSlug}/members/${a.memberId}/role`, { role: 'owner' }],
  ['POST', (a) => `/o/${a.orgSlug}/members/${a.memberId}/remove`, {}],
  ['POST', (a) => `/o/${a.orgSlug}/invitations/${a.invitationId}/revoke`, {}],
];

/** Stand-ins for the ids in test names. */
const PLACEHOLDERS: Fixture = { orgSlug: ':orgA', orgId: ':idA', memberId: ':member', teamId: ':team', invitationId: ':inv', documentId: ':doc', folderId: ':folder', typeKey: ':type' };

for (const dialect of DIALECTS) {
  describe(`tenant isolation (${dialect})`, () => {
    const t = useTestApp(dialect);
    let a: Fixture;
    let tokenB: string;
    let cookieB: string;
    let crossOrg: string;

    const setup = async () => {
      if (a) return;
      const ctx = t().ctx;
      const orgA = await buildOrg(ctx, { name: 'Alpha' });
      const member = await buildMember(ctx, orgA.org.id, 'member');
      const ownerA = await apiToken(ctx, orgA.ownerId);
      const team = await (await t().request('POST', `/api/v1/orgs/${orgA.org.slug}/teams`, { token: ownerA, json: { name: 'Secret team' } })).json();
      const inv = await (await t().request('POST', `/api/v1/orgs/${orgA.org.slug}/invitations`, { token: ownerA, json: { role: 'member' } })).json();
      const folder = await (await t().request('POST', `/api/v1/orgs/${orgA.org.slug}/folders`, { token: ownerA, json: { name: 'Secret folder' } })).json();
      const form = new FormData();
      form.append('file', new File(['confidential plans of Alpha'], 'plans.txt', { type: 'text/plain' }));
      const doc = await (await t().request('POST', `/api/v1/orgs/${orgA.org.slug}/documents`, { token: ownerA, body: form })).json();
      const type = { key: 'alpha_memo', name: 'Alpha memo', keywords: ['alpha memo'], fields: [{ name: 'ref', label: 'Ref', kind: 'text' }] };
      expect((await t().request('POST', `/api/v1/orgs/${orgA.org.slug}/document-types`, { token: ownerA, json: type })).status).toBe(201);
      await t().drainJobs();
      a = { orgSlug: orgA.org.slug, orgId: orgA.org.id, memberId: member.id, teamId: team.id, invitationId: inv.id, documentId: doc.id, folderId: folder.id, typeKey: type.key };
      const orgB = await buildOrg(ctx, { name: 'Bravo' });
      tokenB = await apiToken(ctx, orgB.ownerId);
      // B uses its own organization's routes with A's ids: still not found.
      crossOrg = `/api/v1/orgs/${orgB.org.slug}`;
      cookieB = await sessionCookie(ctx, orgB.ownerId);
    };

    for (const [method, path, body] of API_CASES) {
      it(`API ${method} ${path(PLACEHOLDERS)} → 404`, async () => {
        await setup();
        const res = await t().request(method, path(a), { token: tokenB, json: body });
        expect(res.status).toBe(404);
        expect((await res.json()).error.code).toBe('not_found');
      });
    }

    for (const [method, path, body] of PAGE_CASES) {
      it(`page ${method} ${path(PLACEHOLDERS)} → 404`, async () => {
        await setup();
        const res = await t().request(method, path(a), { cookie: cookieB, form: body as Record<string, string> | undefined });
        expect(res.status).toBe(404);
      });
    }

    it("A's document and folder ids used under B's own organization are not found either", async () => {
      await setup();
      for (const path of [`${crossOrg}/documents/${a.documentId}`, `${crossOrg}/documents/${a.documentId}/file`, `${crossOrg}/documents/${a.documentId}/text`]) {
        expect((await t().request('GET', path, { token: tokenB })).status).toBe(404);
      }
      expect((await t().request('PATCH', `${crossOrg}/documents/${a.documentId}`, { token: tokenB, json: { name: 'x' } })).status).toBe(404);
      expect((await t().request('POST', `${crossOrg}/documents/bulk`, { token: tokenB, json: { ids: [a.documentId], action: 'trash' } })).status).toBe(404);
      expect((await t().request('PATCH', `${crossOrg}/folders/${a.folderId}`, { token: tokenB, json: { name: 'x' } })).status).toBe(404);
      for (const path of [`${crossOrg}/documents/${a.documentId}/extraction`, `${crossOrg}/documents/${a.documentId}/extraction/corrections`]) {
        expect((await t().request('GET', path, { token: tokenB })).status).toBe(404);
      }
      expect((await t().request('PUT', `${crossOrg}/documents/${a.documentId}/extraction`, { token: tokenB, json: { fields: {} } })).status).toBe(404);
      const type = { name: 'Taken over', keywords: ['secret'], fields: [{ name: 'ref', label: 'Ref', kind: 'text' }] };
      expect((await t().request('PUT', `${crossOrg}/document-types/${a.typeKey}`, { token: tokenB, json: type })).status).toBe(404);
      expect((await t().request('DELETE', `${crossOrg}/document-types/${a.typeKey}`, { token: tokenB })).status).toBe(404);
      const types = await (await t().request('GET', `${crossOrg}/document-types`, { token: tokenB })).json();
      expect(types.types.map((d: { key: string }) => d.key)).toEqual(['invoice', 'receipt', 'other']);
      const queue = await (await t().request('GET', `${crossOrg}/review-queue`, { token: tokenB })).json();
      expect(queue.total).toBe(0);
      const listed = await (await t().request('GET', `${crossOrg}/documents`, { token: tokenB })).json();
      expect(listed.total).toBe(0);
      const form = new FormData();
      form.append('file', new File(['x'], 'x.txt'));
      form.append('folder', a.folderId);
      expect((await t().request('POST', `${crossOrg}/documents`, { token: tokenB, body: form })).status).toBe(400);
    });

    it("leaves organization A's data untouched", async () => {
      await setup();
      const ownerCheck = await t().ctx.db.selectFrom('org').select('name').where('id', '=', a.orgId).executeTakeFirstOrThrow();
      expect(ownerCheck.name).toBe('Alpha');
      const member = await t().ctx.db.selectFrom('org_member').select('role').where('user_id', '=', a.memberId).executeTakeFirstOrThrow();
      expect(member.role).toBe('member');
      expect(await t().ctx.db.selectFrom('team').select('id').where('id', '=', a.teamId).executeTakeFirst()).toBeDefined();
      const doc = await t().ctx.db.selectFrom('document').select(['name', 'deleted_at']).where('id', '=', a.documentId).executeTakeFirstOrThrow();
      expect(doc).toEqual({ name: 'plans.txt', deleted_at: null });
      const type = await t().ctx.db.selectFrom('document_type').select('name').where('org_id', '=', a.orgId).where('key', '=', a.typeKey).executeTakeFirstOrThrow();
      expect(type.name).toBe('Alpha memo');
      const extraction = await t().ctx.db.selectFrom('extraction').select(['reviewed_at']).where('document_id', '=', a.documentId).executeTakeFirstOrThrow();
      expect(extraction.reviewed_at).toBeNull();
      expect(await t().ctx.db.selectFrom('extraction_correction').select('id').where('document_id', '=', a.documentId).executeTakeFirst()).toBeUndefined();
      const threshold = await t().ctx.db.selectFrom('org').select('review_threshold').where('id', '=', a.orgId).executeTakeFirstOrThrow();
      expect(threshold.review_threshold).toBe(0.8);
    });

    it('a member of A still sees A (the 404s come from membership, not from a broken route)', async () => {
      await setup();
      const token = await apiToken(t().ctx, a.memberId);
      expect((await t().request('GET', `/api/v1/orgs/${a.orgSlug}/members/${a.memberId}`, { token })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${a.orgSlug}/teams/${a.teamId}`, { token })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/extraction`, { token })).status).toBe(200);
      expect((await t().request('GET', `/api/v1/orgs/${a.orgSlug}/documents/${a.documentId}/extraction/corrections`, { token })).status).toBe(200);
    });
  });
}
