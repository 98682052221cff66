import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS, useTestDb } from '../../../test/support/db';
import type { Actor } from '../../authz';
import { readableDocuments } from '../../authz';
import { newId } from '../../shared/ids';
import { keywordSearch } from './search.repository';

describe.each(DIALECTS)('keyword search over a large index (%s)', (dialect) => {
  const getDb = useTestDb(dialect);

  it('does not match a passage on everyday words alone, yet ranks with them; only everyday words must all match', async () => {
    const { db } = getDb();
    const now = new Date().toISOString();
    const org = newId();
    const doc = newId();
    await db.insertInto('org').values({ id: org, name: 'o', slug: `o-${newId(6)}`.toLowerCase(), review_threshold: 0.8, content_version: 0, created_at: now, updated_at: now }).execute();
    await db.insertInto('document').values({
      id: doc, org_id: org, folder_id: null, parent_id: null, owner_id: null, name: 'd', status: 'ready', error_code: null, error_message: null, progress: null, kind: 'text',
      mime: 'text/plain', size: 1, page_count: 1, current_version_id: 'v', source: 'upload', pending_password: null, deleted_at: null, created_at: now, updated_at: now,
    }).execute();
    // 6,000 passages mention "report"; a few mention "turbine", one both, one "report" and "annual".
    const rows = Array.from({ length: 6_000 }, (_, i) => ({ org_id: org, document_id: doc, version_id: 'v', page: 1, ord: i, heading: null, text: `weekly report number ${i}`, tokens: 4, created_at: now }));
    rows[10].text = 'turbine blade inspection';
    rows[11].text = 'turbine report with findings';
    rows[12].text = 'annual report of the board';
    rows[13].text = 'turbine vibration notes';
    for (let i = 0; i < rows.length; i += 500) await db.insertInto('chunk').values(rows.slice(i, i + 500)).execute();
    if (dialect === 'postgres') await sql`analyze chunk`.execute(db);
    const actor: Actor = { userId: 'u', orgId: org, role: 'viewer' };
    const texts = async (terms: string[]) => {
      const hits = await keywordSearch(db, dialect, readableDocuments(actor, { byId: true }), {}, terms, { limit: 50, prefixLast: false, orgId: org });
      const byId = new Map((await db.selectFrom('chunk').select(['id', 'text']).where('id', 'in', hits.length ? hits.map((h) => h.chunkId) : [-1]).execute()).map((r) => [Number(r.id), r.text]));
      return hits.map((h) => byId.get(h.chunkId));
    };
    // "report" is in nearly every passage: with a rarer word, only passages holding the rarer one match.
    expect((await texts(['turbine', 'report'])).sort()).toEqual(['turbine blade inspection', 'turbine report with findings', 'turbine vibration notes']);
    expect(await texts(['report', 'weekly', 'annual'])).toEqual(['annual report of the board']);
    // Only everyday words: passages holding all of them.
    const everyday = await texts(['report', 'weekly']);
    expect(everyday).toHaveLength(50);
    expect(everyday.every((t) => /weekly report/.test(t ?? ''))).toBe(true);
    // … the newest first.
    expect(everyday.map((t) => Number(t?.split(' ').pop()))).toEqual(Array.from({ length: 50 }, (_, i) => 5_999 - i));
    expect(await texts(['report', 'board'])).toEqual(['annual report of the board']);
  });

  it('ranks a few matches first, yet finds the readable ones beyond them: other organizations and the trash never take their place', async () => {
    const { db } = getDb();
    const now = new Date().toISOString();
    const ids: Record<string, { org: string; doc: string; trashed: string }> = {};
    for (const name of ['big', 'small']) {
      const org = newId();
      const doc = newId();
      const trashed = newId();
      ids[name] = { org, doc, trashed };
      await db.insertInto('org').values({ id: org, name, slug: `${name}-${newId(6)}`.toLowerCase(), review_threshold: 0.8, content_version: 0, created_at: now, updated_at: now }).execute();
      for (const [id, deleted] of [[doc, null], [trashed, now]] as const) {
        await db.insertInto('document').values({
          id, org_id: org, folder_id: null, parent_id: null, owner_id: null, name: 'd', status: 'ready', error_code: null, error_message: null, progress: null, kind: 'text',
          mime: 'text/plain', size: 1, page_count: 1, current_version_id: 'v', source: 'upload', pending_password: null, deleted_at: deleted, created_at: now, updated_at: now,
        }).execute();
      }
    }
    const chunk = (name: string, doc: string, text: string) => ({ org_id: ids[name].org, document_id: doc, version_id: 'v', page: 1, ord: 0, heading: null, text, tokens: 3, created_at: now });
    // The big organization's and the trashed passages rank first: the word three times in a short passage.
    await db.insertInto('chunk').values([
      ...Array.from({ length: 30 }, () => chunk('big', ids.big.doc, 'gasket gasket gasket')),
      ...Array.from({ length: 5 }, () => chunk('small', ids.small.trashed, 'gasket gasket gasket')),
      ...Array.from({ length: 3 }, (_, i) => chunk('small', ids.small.doc, `a worn ${'gasket '.repeat(i + 1)}on pump number ${i} of the cooling circuit in hall two`)),
    ]).execute();
    const actor: Actor = { userId: 'u', orgId: ids.small.org, role: 'viewer' };
    const hits = await keywordSearch(db, dialect, readableDocuments(actor, { byId: true }), {}, ['gasket'], { limit: 10, prefixLast: false, orgId: ids.small.org, rankedCap: 4 });
    const docs = await db.selectFrom('chunk').select(['id', 'document_id']).where('id', 'in', hits.map((h) => h.chunkId)).execute();
    expect(hits).toHaveLength(3);
    expect(docs.every((d) => d.document_id === ids.small.doc)).toBe(true);
    // Each hit comes with what search shows of its passage.
    expect(hits.every((h) => h.passage.id === h.chunkId && h.passage.document_id === ids.small.doc && h.passage.name === 'd' && h.passage.page === 1)).toBe(true);
    // Best first, as with no cap at all.
    const uncapped = await keywordSearch(db, dialect, readableDocuments(actor, { byId: true }), {}, ['gasket'], { limit: 10, prefixLast: false, orgId: ids.small.org });
    expect(hits.map((h) => h.chunkId)).toEqual(uncapped.map((h) => h.chunkId));
  });
});

describe('keyword search over a large Postgres index: the newest matches of a word held by many passages', () => {
  const getDb = useTestDb('postgres');

  it('ranks the newest 800 readable matches: trashed passages and other organizations never take their place', async () => {
    const { db } = getDb();
    const now = new Date().toISOString();
    const org = newId();
    const other = newId();
    const [doc, trashed, foreign] = [newId(), newId(), newId()];
    for (const [id, name] of [[org, 'reader'], [other, 'other']]) {
      await db.insertInto('org').values({ id, name, slug: `${name}-${newId(6)}`.toLowerCase(), review_threshold: 0.8, content_version: 0, created_at: now, updated_at: now }).execute();
    }
    for (const [id, orgId, deleted] of [[doc, org, null], [trashed, org, now], [foreign, other, null]] as const) {
      await db.insertInto('document').values({
        id, org_id: orgId, folder_id: null, parent_id: null, owner_id: null, name: 'd', status: 'ready', error_code: null, error_message: null, progress: null, kind: 'text',
        mime: 'text/plain', size: 1, page_count: 1, current_version_id: 'v', source: 'upload', pending_password: null, deleted_at: deleted, created_at: now, updated_at: now,
      }).execute();
    }
    const chunk = (orgId: string, documentId: string, ord: number, text: string) => ({ org_id: orgId, document_id: documentId, version_id: 'v', page: 1, ord, heading: null, text, tokens: 4, created_at: now });
    // Oldest first: filler, 900 passages saying "gasket" three times (ranked high), then 700
    // saying it once, and newest of all 100 trashed and 50 of another organization saying it three times.
    const rows = [
      ...Array.from({ length: 5_000 }, (_, i) => chunk(org, doc, i, `weekly report number ${i}`)),
      ...Array.from({ length: 900 }, (_, i) => chunk(org, doc, 10_000 + i, `gasket gasket gasket strong ${i}`)),
      ...Array.from({ length: 700 }, (_, i) => chunk(org, doc, 20_000 + i, `a worn gasket on pump ${i}`)),
      ...Array.from({ length: 100 }, (_, i) => chunk(org, trashed, 30_000 + i, 'gasket gasket gasket trashed')),
      ...Array.from({ length: 50 }, (_, i) => chunk(other, foreign, 40_000 + i, 'gasket gasket gasket foreign')),
    ];
    for (let i = 0; i < rows.length; i += 500) await db.insertInto('chunk').values(rows.slice(i, i + 500)).execute();
    await sql`analyze chunk`.execute(db);
    const actor: Actor = { userId: 'u', orgId: org, role: 'viewer' };
    const hits = await keywordSearch(db, 'postgres', readableDocuments(actor, { byId: true }), {}, ['gasket'], { limit: 50, prefixLast: false, orgId: org });
    const found = await db.selectFrom('chunk').select(['id', 'document_id', 'ord']).where('id', 'in', hits.map((h) => h.chunkId)).execute();
    expect(hits).toHaveLength(50);
    expect(found.every((c) => c.document_id === doc)).toBe(true);
    expect(hits.every((h) => h.passage.id === h.chunkId && h.passage.document_id === doc && h.passage.status === 'ready')).toBe(true);
    // The newest 800 readable matches are the 700 single mentions and the newest 100 strong ones: those 100 rank first.
    expect(found.every((c) => c.ord >= 10_800 && c.ord < 10_900)).toBe(true);
  });
});

