import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { apiToken, buildMember, buildOrg } from '../support/factories';

function upload(name: string, text: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new File([text], name, { type: 'text/plain' }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

const TUNNEL = `Wind tunnel report

Measurements of the turbulent boundary layer on a flat plate were taken at Mach 2.5 in the supersonic wind tunnel.
The boundary layer thickened downstream of the shock wave, and skin friction fell by a fifth.`;

const BAKING = `Weekend baking

Mix flour, water, salt and a spoonful of sourdough starter, knead the dough for ten minutes and let it rise overnight.
Bake the loaf in a hot oven until the crust is deep brown and it sounds hollow when tapped.`;

const HOLIDAY = `Holiday plans

We will spend two weeks on the coast in August, swimming every morning and reading in the afternoon shade.`;

interface Hit {
  documentId: string;
  name: string;
  page: number;
  snippet: string;
  score: number;
}
interface Body {
  results: Hit[];
  total: number;
  mode: string;
  notice?: string;
  facets: Record<string, { value: string; label: string; count: number }[]>;
}

for (const dialect of DIALECTS) {
  describe(`search (${dialect})`, () => {
    const t = useTestApp(dialect);

    async function library() {
      const { org, ownerId } = await buildOrg(t().ctx);
      const token = await apiToken(t().ctx, ownerId);
      const base = `/api/v1/orgs/${org.slug}`;
      const add = async (name: string, text: string, fields: Record<string, string> = {}) => {
        const res = await t().request('POST', `${base}/documents`, { token, body: upload(name, text, fields) });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      };
      const find = async (q: string, params: Record<string, string> = {}, as = token) => {
        const res = await t().request('GET', `${base}/search?${new URLSearchParams({ q, ...params })}`, { token: as });
        expect(res.status).toBe(200);
        return (await res.json()) as Body;
      };
      return { org, ownerId, token, base, add, find };
    }

    it('finds passages by keyword, by meaning and by both, with a marked snippet and the page', async () => {
      const lib = await library();
      const tunnel = await lib.add('tunnel.txt', TUNNEL);
      const baking = await lib.add('baking.txt', BAKING);
      await lib.add('holiday.txt', HOLIDAY);
      await t().drainJobs();

      const keyword = await lib.find('boundary layer', { mode: 'keyword' });
      expect(keyword.results[0]).toMatchObject({ documentId: tunnel, name: 'tunnel.txt', page: 1 });
      expect(keyword.results[0].snippet).toContain('<mark>boundary</mark> <mark>layer</mark>');
      expect(keyword.results.map((r) => r.documentId)).not.toContain(baking);
      expect(keyword.total).toBe(1);

      // No word in common with the baking notes: only meaning connects them.
      const semantic = await lib.find('how do I make bread at home', { mode: 'semantic' });
      expect(semantic.notice).toBeUndefined();
      expect(semantic.results[0].documentId).toBe(baking);
      const semanticTunnel = await lib.find('aerodynamics experiment with fast airflow', { mode: 'semantic' });
      expect(semanticTunnel.results[0].documentId).toBe(tunnel);

      const hybrid = await lib.find('supersonic flow over a plate');
      expect(hybrid.mode).toBe('hybrid');
      expect(hybrid.results[0].documentId).toBe(tunnel);
      expect(hybrid.results[0].snippet).toContain('<mark>supersonic</mark>');
    });

    it('only ever shows what the reader may read: other organizations, roles, trash, purge and replaced versions', async () => {
      const lib = await library();
      const other = await library();
      const tunnel = await lib.add('tunnel.txt', TUNNEL);
      await other.add('other-baking.txt', BAKING);
      await t().drainJobs();

      // Another organization's documents are never found, in any mode.
      for (const mode of ['keyword', 'semantic', 'hybrid']) {
        expect((await other.find('turbulent boundary layer supersonic', { mode })).results.map((r) => r.documentId)).not.toContain(tunnel);
        expect((await lib.find('sourdough loaf oven', { mode })).results.map((r) => r.name)).not.toContain('other-baking.txt');
      }
      // Another organization's search is a 404, like every record of it.
      expect((await t().request('GET', `${lib.base}/search?q=boundary`, { token: other.token })).status).toBe(404);

      // A viewer reads, so a viewer finds.
      const viewer = await buildMember(t().ctx, lib.org.id, 'viewer');
      const viewerToken = await apiToken(t().ctx, viewer.id);
      expect((await lib.find('boundary layer', {}, viewerToken)).results[0].documentId).toBe(tunnel);
      // Permissions are read at query time: out of the organization, nothing more is found.
      await t().ctx.db.deleteFrom('org_member').where('org_id', '=', lib.org.id).where('user_id', '=', viewer.id).execute();
      expect((await t().request('GET', `${lib.base}/search?q=boundary`, { token: viewerToken })).status).toBe(404);

      // In the trash: found by nobody, in no mode; restored: found again.
      expect((await t().request('DELETE', `${lib.base}/documents/${tunnel}`, { token: lib.token })).status).toBe(204);
      for (const mode of ['keyword', 'semantic', 'hybrid']) {
        expect((await lib.find('turbulent boundary layer in a supersonic wind tunnel', { mode })).results.map((r) => r.documentId)).not.toContain(tunnel);
      }
      expect((await t().request('POST', `${lib.base}/documents/${tunnel}/restore`, { token: lib.token })).status).toBe(200);
      for (const mode of ['keyword', 'semantic', 'hybrid']) {
        expect((await lib.find('turbulent boundary layer in a supersonic wind tunnel', { mode })).results[0]?.documentId).toBe(tunnel);
      }

      // A new version replaces the old text everywhere.
      const res = await t().request('POST', `${lib.base}/documents/${tunnel}/versions`, { token: lib.token, body: upload('tunnel.txt', HOLIDAY) });
      expect(res.status).toBe(201);
      await t().drainJobs();
      expect((await lib.find('boundary layer', { mode: 'keyword' })).results).toEqual([]);
      expect((await lib.find('swimming on the coast in August')).results[0].documentId).toBe(tunnel);

      // Deleted for good: gone from every index.
      await t().request('DELETE', `${lib.base}/documents/${tunnel}`, { token: lib.token });
      expect((await t().request('DELETE', `${lib.base}/documents/${tunnel}?purge=true`, { token: lib.token })).status).toBe(204);
      for (const mode of ['keyword', 'semantic', 'hybrid']) expect((await lib.find('swimming on the coast in August', { mode })).results).toEqual([]);
      const left = await t().ctx.db.selectFrom('chunk').select('id').where('document_id', '=', tunnel).execute();
      expect(left).toEqual([]);
    });

    it('filters by folder (with sub-folders), tags, status, dates, owner and document, with facet counts', async () => {
      const lib = await library();
      const mkFolder = async (name: string, parentId?: string) => {
        const res = await t().request('POST', `${lib.base}/folders`, { token: lib.token, json: { name, ...(parentId ? { parentId } : {}) } });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      };
      const research = await mkFolder('Research');
      const aero = await mkFolder('Aero', research);
      const kitchen = await mkFolder('Kitchen');
      const tunnel = await lib.add('tunnel.txt', `${TUNNEL}\nThe oven of the lab heated the plate.`, { folder: aero, tags: 'lab,physics' });
      const baking = await lib.add('baking.txt', BAKING, { folder: kitchen, tags: 'home' });
      await t().drainJobs();

      const all = await lib.find('oven plate', { mode: 'keyword' });
      expect(all.results.map((r) => r.documentId).sort()).toEqual([tunnel, baking].sort());
      expect(all.facets.tag).toEqual(expect.arrayContaining([{ value: 'lab', label: 'lab', count: 1 }, { value: 'home', label: 'home', count: 1 }]));
      expect(all.facets.folder.map((f) => f.label).sort()).toEqual(['Aero', 'Kitchen']);

      const only = async (params: Record<string, string>) => (await lib.find('oven plate', { mode: 'keyword', ...params })).results.map((r) => r.documentId);
      expect(await only({ folder: research })).toEqual([tunnel]);
      expect(await only({ folder: kitchen })).toEqual([baking]);
      expect(await only({ tags: 'home' })).toEqual([baking]);
      expect(await only({ tags: 'lab,physics' })).toEqual([tunnel]);
      expect(await only({ tags: 'nosuchtag' })).toEqual([]);
      expect(await only({ document: baking })).toEqual([baking]);
      expect(await only({ owner: lib.ownerId })).toHaveLength(2);
      expect(await only({ status: 'failed' })).toEqual([]);
      const today = t().clock.now().toISOString().slice(0, 10);
      expect(await only({ from: today, to: today })).toHaveLength(2);
      expect(await only({ to: '2001-01-01' })).toEqual([]);
      // Filters hold in semantic mode too: the candidates come from the same SQL.
      expect((await lib.find('bread baking', { mode: 'semantic', folder: research })).results.map((r) => r.documentId)).toEqual([tunnel]);
      // Inside one document, every matching passage comes back, each with its page.
      const pages = `${TUNNEL}\f${BAKING}\f${HOLIDAY}`;
      const long = await lib.add('pages.txt', pages);
      await t().drainJobs();
      const inside = await t().request('GET', `${lib.base}/documents/${long}/search?q=oven`, { token: lib.token });
      const body = (await inside.json()) as Body;
      expect(body.results.map((r) => r.page)).toEqual([2]);
      const both = (await (await t().request('GET', `${lib.base}/documents/${long}/search?q=oven%20supersonic`, { token: lib.token })).json()) as Body;
      expect(both.results.map((r) => r.page).sort()).toEqual([1, 2]);
    });

    it('logs what people search for, refuses bad parameters, and answers an empty query with nothing', async () => {
      const lib = await library();
      await lib.add('tunnel.txt', TUNNEL);
      await t().drainJobs();
      await lib.find('shock wave');
      await lib.find('shock wa', { prefix: '1' });
      const logged = await t().ctx.db.selectFrom('search_query').select(['query', 'mode', 'results', 'user_id']).where('org_id', '=', lib.org.id).execute();
      expect(logged).toEqual([{ query: 'shock wave', mode: 'hybrid', results: 1, user_id: lib.ownerId }]);

      for (const bad of ['mode=fuzzy', 'limit=0', 'limit=1000', 'from=yesterday', 'status=lost']) {
        const res = await t().request('GET', `${lib.base}/search?q=x&${bad}`, { token: lib.token });
        expect(res.status, bad).toBe(400);
      }
      expect((await lib.find('')).results).toEqual([]);
      // Hostile strings are just words.
      const hostile = await lib.find('"shock" OR NEAR(* -- \'; drop table chunk; <script>');
      expect(hostile.results[0]?.name).toBe('tunnel.txt');
    });
  });
}
