import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { useTestApp } from '../support/app';
import { apiToken, buildMember, buildOrg, sessionCookie } from '../support/factories';

/**
 * The search page, its htmx partial and the search API over documents processed by the real
 * pipeline. Semantic search may or may not be available (the embedding model is optional):
 * every assertion here holds either way, since these test the pages and the API, not ranking.
 */

function upload(name: string, content: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new File([content], name, { type: 'text/plain' }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

/** Document names of the results, in order. */
function hitNames(html: string): string[] {
  return [...html.matchAll(/data-search-hit="true">([^<]+)</g)].map((m) => m[1]);
}

const amp = (href: string) => href.replaceAll('&', '&amp;');

for (const dialect of DIALECTS) {
  describe(`search pages and API (${dialect})`, () => {
    const t = useTestApp(dialect);
    let slug = '';
    let cookie = '';
    let token = '';
    let viewerCookie = '';
    let memberToken = '';
    let port = '';
    const ids: Record<string, string> = {};

    const get = async (path: string, o: { cookie?: string; headers?: Record<string, string> } = {}) => {
      const res = await t().request('GET', path, { cookie: o.cookie ?? cookie, headers: o.headers });
      return { status: res.status, html: await res.text(), res };
    };

    beforeAll(async () => {
      const { org, ownerId } = await buildOrg(t().ctx, { name: 'Harbor Works' });
      slug = org.slug;
      cookie = await sessionCookie(t().ctx, ownerId);
      token = await apiToken(t().ctx, ownerId);
      viewerCookie = await sessionCookie(t().ctx, (await buildMember(t().ctx, org.id, 'viewer', { name: 'Vera Viewer' })).id);
      memberToken = await apiToken(t().ctx, (await buildMember(t().ctx, org.id, 'member')).id);
      const api = `/api/v1/orgs/${slug}`;
      port = (await (await t().request('POST', `${api}/folders`, { token, json: { name: 'Port office' } })).json()).id;
      const add = async (name: string, content: string, fields: Record<string, string> = {}) => {
        const res = await t().request('POST', `${api}/documents`, { token, body: upload(name, content, fields) });
        expect(res.status).toBe(201);
        ids[name] = (await res.json()).id;
      };
      await add('pilots.txt', 'Harbor pilot schedule\n\nThe harbor pilot boards every vessel at dawn; tide tables decide the schedule of the pilot boat.', { tags: 'ops', folder: port });
      await add('tides.txt', 'Tide tables for the spring.\f\nPage two: the harbor closes when the tide is below two metres.', { tags: 'ops, tides' });
      await add('script.txt', 'Notes on <script>alert("lighthouse")</script> and <b>bold</b> lighthouse keepers & "quotes".');
      await add('budget.txt', 'Quarterly budget figures for the canteen.');
      await t().drainJobs();
    });

    it('shows the search page to members: a plain GET form, the results with page links, the total and the facets', async () => {
      const empty = await get(`/o/${slug}/search`, { cookie: viewerCookie });
      expect(empty.status).toBe(200);
      expect(empty.html).toContain(`<form id="search-form" method="get" action="/o/${slug}/search" role="search"`);
      expect(empty.html).toContain('Type words to search the text of every document you can read.');
      // The shell's navigation has Search, current here.
      expect(empty.html).toContain(`<a href="/o/${slug}/search" aria-current="page">Search</a>`);
      expect(empty.html).toContain('<script src="/assets/search.js" defer></script>');

      // Hybrid by default: words and, when a model is installed, meaning (which finds more).
      const hybrid = await get(`/o/${slug}/search?q=harbor`, { cookie: viewerCookie });
      expect(hybrid.status).toBe(200);
      expect(hitNames(hybrid.html)).toEqual(expect.arrayContaining(['pilots.txt', 'tides.txt']));
      expect(hybrid.html).toMatch(/<option value="hybrid" selected>/);

      const { status, html } = await get(`/o/${slug}/search?q=harbor&mode=keyword`, { cookie: viewerCookie });
      expect(status).toBe(200);
      expect(html).toContain('<title>Search: harbor · Folio</title>');
      expect(html).toMatch(/<input id="search-q" type="search" name="q" value="harbor"/);
      // Results while typing: htmx asks for the results region after a pause, and on Enter.
      expect(html).toContain('hx-trigger="input changed delay:250ms, search"');
      expect(html).toContain(`hx-get="/o/${slug}/search"`);
      expect(html).toContain('hx-push-url="true"');
      expect(hitNames(html).sort()).toEqual(['pilots.txt', 'tides.txt']);
      expect(html).toContain('data-search-total="true">2 documents</span>');
      // Each result opens its document at the page of the passage, the matched words marked there.
      expect(html).toContain(`href="${amp(`/o/${slug}/documents/${ids['pilots.txt']}?page=1&hl=harbor#page-1`)}"`);
      expect(html).toContain(`href="${amp(`/o/${slug}/documents/${ids['tides.txt']}?page=2&hl=harbor#page-2`)}"`);
      expect(html).toContain('<span class="badge">Page 2</span>');
      expect(html).toMatch(/<mark>[Hh]arbor<\/mark>/);
      // Facets count documents, and each links to the same search narrowed by it.
      expect(html).toContain(`href="${amp(`/o/${slug}/search?q=harbor&mode=keyword&tags=ops`)}"`);
      expect(html).toMatch(/data-facet="tags:ops">.*?ops<\/a><span class="muted small">2<\/span>/);
      expect(html).toContain(`href="${amp(`/o/${slug}/search?q=harbor&mode=keyword&folder=${port}`)}"`);
      expect(html).toMatch(/data-facet="folder:[^"]+">.*?Port office<\/a><span class="muted small">1<\/span>/);
      expect(html).toMatch(/data-facet="status:ready">.*?ready<\/a><span class="muted small">2<\/span>/);
      expect(html).toContain('data-facet="owner:');
      // Document types by name.
      expect(html).toMatch(/data-facet="type:other">.*?Other<\/a><span class="muted small">2<\/span>/);
      expect(html).toContain('<span class="badge badge--doctype">Other</span>');
    });

    it('filters by facet, keeping the query, the mode and the other filters in every link and in the form', async () => {
      const { html } = await get(`/o/${slug}/search?q=harbor&mode=keyword&tags=tides`);
      expect(hitNames(html)).toEqual(['tides.txt']);
      // The filter rides along in the form (for the next search) and can be removed.
      expect(html).toContain('<input type="hidden" name="tags" value="tides" form="search-form"/>');
      expect(html).toContain(`href="${amp(`/o/${slug}/search?q=harbor&mode=keyword`)}" hx-get=`);
      expect(html).toMatch(/<option value="keyword" selected>/);
      // Another facet adds to it; the tag facet that is on is marked and switches off.
      expect(html).toContain(`href="${amp(`/o/${slug}/search?q=harbor&mode=keyword&status=ready&tags=tides`)}"`);
      expect(html).toMatch(/aria-current="true" data-facet="tags:tides"/);

      expect(hitNames((await get(`/o/${slug}/search?q=harbor&mode=keyword&folder=${port}`)).html)).toEqual(['pilots.txt']);
      expect(hitNames((await get(`/o/${slug}/search?q=harbor&mode=keyword&tags=ops,tides`)).html)).toEqual(['tides.txt']);
      expect(hitNames((await get(`/o/${slug}/search?q=harbor&mode=keyword&tags=ops&tags=tides`)).html)).toEqual(['tides.txt']);

      // A date range: documents added from tomorrow on are none; the dates stay in the form.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const later = await get(`/o/${slug}/search?q=harbor&mode=keyword&from=${tomorrow}`);
      expect(hitNames(later.html)).toEqual([]);
      expect(later.html).toContain('No document matches.');
      expect(later.html).toContain(`<input id="search-from" type="date" name="from" value="${tomorrow}"/>`);
      const today = new Date().toISOString().slice(0, 10);
      expect(hitNames((await get(`/o/${slug}/search?q=harbor&mode=keyword&from=${today}&to=${today}`)).html).sort()).toEqual(['pilots.txt', 'tides.txt']);

      const bad = await get(`/o/${slug}/search?q=harbor&from=last+week`);
      expect(bad.status).toBe(400);
      expect(bad.html).toContain('from: a date as YYYY-MM-DD');
      expect(bad.html).toContain('id="search-form"');
    });

    it('answers htmx with the results region only, and moves the address bar with the search', async () => {
      const hx = { 'HX-Request': 'true', 'HX-Current-URL': `http://localhost/o/${slug}/search` };
      const typed = await get(`/o/${slug}/search?q=harb&mode=keyword&prefix=1`, { headers: hx });
      expect(typed.status).toBe(200);
      expect(typed.html).not.toContain('<html');
      expect(typed.html).not.toContain('id="search-form"');
      // While typing the last word is a prefix, and the address is replaced, without `prefix`.
      expect(hitNames(typed.html).sort()).toEqual(['pilots.txt', 'tides.txt']);
      expect(typed.res.headers.get('HX-Replace-Url')).toBe(`/o/${slug}/search?q=harb&mode=keyword`);
      expect(typed.res.headers.get('HX-Push-Url')).toBeNull();

      const done = await get(`/o/${slug}/search?q=harbor+pilot&mode=keyword`, { headers: hx });
      expect(done.res.headers.get('HX-Push-Url')).toBe(`/o/${slug}/search?q=harbor+pilot&mode=keyword`);
      expect(hitNames(done.html)[0]).toBe('pilots.txt');
      // Already at that address: replaced, not pushed twice.
      const same = await get(`/o/${slug}/search?q=harbor+pilot&mode=keyword`, { headers: { ...hx, 'HX-Current-URL': `http://localhost/o/${slug}/search?q=harbor+pilot&mode=keyword` } });
      expect(same.res.headers.get('HX-Replace-Url')).toBe(`/o/${slug}/search?q=harbor+pilot&mode=keyword`);

      // A bad value is shown in the region (htmx swaps only successful responses).
      const bad = await get(`/o/${slug}/search?q=harbor&mode=fuzzy`, { headers: hx });
      expect(bad.status).toBe(200);
      expect(bad.html).toContain('class="alert" role="alert"');
      expect(bad.html).toContain('mode:');

      // htmx restoring a page from history wants the whole page.
      const restore = await get(`/o/${slug}/search?q=harbor`, { headers: { ...hx, 'HX-History-Restore-Request': 'true' } });
      expect(restore.html).toContain('id="search-form"');
    });

    it('renders the snippet as the escaped HTML the search service made: document text never becomes markup', async () => {
      const { html } = await get(`/o/${slug}/search?q=lighthouse&mode=keyword`);
      expect(hitNames(html)).toEqual(['script.txt']);
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<b>bold</b>');
      expect(html).toContain('&lt;script&gt;alert(&quot;<mark>lighthouse</mark>&quot;)&lt;/script&gt;');
      expect(html).toContain('&lt;b&gt;bold&lt;/b&gt; <mark>lighthouse</mark> keepers &amp; &quot;quotes&quot;');
      // The query itself is text too.
      const q = await get(`/o/${slug}/search?q=${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
      expect(q.html).not.toContain('<img src=x');
      expect(q.html).toContain('value="&lt;img src=x onerror=alert(1)>"');
    });

    it('opens a document at the page of a result with the words marked, escaped, on that page only', async () => {
      const doc = `/o/${slug}/documents/${ids['tides.txt']}`;
      const { html } = await get(`${doc}?page=2&hl=harbor,tide`);
      expect(html).toContain('<article class="docpage docpage--textonly" id="page-2" data-hl-page>');
      expect(html).toContain('Page two: the <mark>harbor</mark> closes when the <mark>tide</mark> is below two metres.');
      // Page 1 has "Tide" too, unmarked: only the result's page is.
      expect(html).toContain('Tide tables for the spring.');
      expect(html).not.toContain('<mark>Tide</mark>');

      const script = await get(`/o/${slug}/documents/${ids['script.txt']}?page=1&hl=${encodeURIComponent('lighthouse,script,<b>')}`);
      expect(script.html).toContain('&lt;<mark>script</mark>>alert(&quot;<mark>lighthouse</mark>&quot;)&lt;/<mark>script</mark>>');
      expect(script.html).not.toContain('<b>');
      // The box for searching within the document.
      expect(html).toContain('Search in this document');
      expect(html).toContain(`hx-get="${doc}/search"`);
      expect(html).toContain('hx-target="#docsearch-results"');
    });

    it('searches within one document: an htmx list of passages, a plain page without JavaScript', async () => {
      const doc = `/o/${slug}/documents/${ids['tides.txt']}`;
      const part = await get(`${doc}/search?q=harbor`, { headers: { 'HX-Request': 'true' } });
      expect(part.status).toBe(200);
      expect(part.html).not.toContain('<html');
      expect(part.html).toContain(`href="${amp(`${doc}?page=2&hl=harbor#page-2`)}" data-search-hit="true">Page 2</a>`);
      expect(part.html).not.toContain('pilots.txt');
      expect((await get(`${doc}/search?q=canteen&mode=keyword`, { headers: { 'HX-Request': 'true' } })).html).toContain('Nothing in this document matches.');
      const full = await get(`${doc}/search?q=harbor`);
      expect(full.html).toContain('<h1>Search in tides.txt</h1>');
      expect(full.html).toMatch(/<input id="docsearch-q" type="search" name="q" value="harbor"/);
      expect(full.html).toContain('data-search-hit="true">Page 2</a>');
    });

    it('returns 404 to another organization and to a document it cannot see', async () => {
      const other = await buildOrg(t().ctx);
      const outsider = await sessionCookie(t().ctx, other.ownerId);
      expect((await get(`/o/${slug}/search?q=harbor`, { cookie: outsider })).status).toBe(404);
      expect((await get(`/o/${slug}/documents/${ids['tides.txt']}/search?q=harbor`, { cookie: outsider })).status).toBe(404);
      expect((await get(`/o/${other.org.slug}/documents/${ids['tides.txt']}/search?q=harbor`, { cookie: outsider })).status).toBe(404);
      const own = await get(`/o/${other.org.slug}/search?q=harbor`, { cookie: outsider });
      expect(own.status).toBe(200);
      expect(hitNames(own.html)).toEqual([]);
      expect((await get(`/o/${slug}/search?q=harbor`, { cookie: '' })).status).toBe(302);
    });

    describe('JSON API', () => {
      const api = () => `/api/v1/orgs/${slug}`;
      const json = async (path: string, tok = token) => {
        const res = await t().request('GET', path, { token: tok });
        return { status: res.status, body: await res.json() };
      };

      it('searches with filters and reports results, total, facets and the mode', async () => {
        const { status, body } = await json(`${api()}/search?q=harbor&mode=keyword&tags=ops`);
        expect(status).toBe(200);
        expect(body).toMatchObject({ query: 'harbor', mode: 'keyword', total: 2 });
        expect(body.results.map((r: { name: string }) => r.name).sort()).toEqual(['pilots.txt', 'tides.txt']);
        expect(body.results.find((r: { name: string }) => r.name === 'tides.txt')).toMatchObject({ documentId: ids['tides.txt'], page: 2, matched: ['harbor'] });
        expect(body.results[0].snippet).toContain('<mark>');
        expect(typeof body.results[0].score).toBe('number');
        expect(body.facets.tag).toEqual(expect.arrayContaining([{ value: 'ops', label: 'ops', count: 2 }, { value: 'tides', label: 'tides', count: 1 }]));
        expect(typeof body.tookMs).toBe('number');
        expect((await json(`${api()}/search?q=harbor&folder=${port}&limit=1&offset=0`)).body.results.map((r: { name: string }) => r.name)).toEqual(['pilots.txt']);
        // Semantic without a model falls back to keywords with a notice; with one, it simply answers.
        const semantic = await json(`${api()}/search?q=harbor&mode=semantic`);
        expect(semantic.status).toBe(200);
        if (semantic.body.notice) expect(semantic.body.results.length).toBeGreaterThan(0);
      });

      it('refuses bad parameters with the usual error shape', async () => {
        for (const q of ['mode=fuzzy', 'limit=0', 'limit=1000', 'offset=-1', 'from=yesterday', 'status=lost', 'prefix=maybe']) {
          const { status, body } = await json(`${api()}/search?q=harbor&${q}`);
          expect(status, q).toBe(400);
          expect(body.error.code).toBe('validation_failed');
          expect(body.error.details[0].field).toBe(q.split('=')[0]);
        }
        // `prefix=0` means no prefix, not true.
        expect((await json(`${api()}/search?q=harb&prefix=0&mode=keyword`)).body.total).toBe(0);
        expect((await json(`${api()}/search?q=harb&prefix=1&mode=keyword`)).body.total).toBe(2);
      });

      it('searches within a readable document only', async () => {
        const { status, body } = await json(`${api()}/documents/${ids['tides.txt']}/search?q=harbor+tide`);
        expect(status).toBe(200);
        expect(body.documentId).toBe(ids['tides.txt']);
        expect(body.results.length).toBeGreaterThan(0);
        expect(body.results.every((r: { documentId: string }) => r.documentId === ids['tides.txt'])).toBe(true);
        expect((await json(`${api()}/documents/${ids['tides.txt']}/search?q=harbor&limit=101`)).status).toBe(400);
        expect((await json(`${api()}/documents/nope/search?q=harbor`)).status).toBe(404);
        const other = await buildOrg(t().ctx);
        const outsider = await apiToken(t().ctx, other.ownerId);
        expect((await json(`${api()}/search?q=harbor`, outsider)).status).toBe(404);
        expect((await json(`${api()}/documents/${ids['tides.txt']}/search?q=harbor`, outsider)).status).toBe(404);
        expect((await json(`/api/v1/orgs/${other.org.slug}/documents/${ids['tides.txt']}/search?q=harbor`, outsider)).status).toBe(404);
      });

      it('lists recent finished queries to administrators only', async () => {
        await json(`${api()}/search?q=tide+tables`);
        await json(`${api()}/search?q=tide+tab&prefix=1`);
        const { status, body } = await json(`${api()}/search/queries`);
        expect(status).toBe(200);
        const queries = body.queries.map((x: { query: string }) => x.query);
        expect(queries).toContain('tide tables');
        expect(queries).not.toContain('tide tab');
        expect(body.queries[0]).toMatchObject({ query: expect.any(String), mode: expect.any(String), results: expect.any(Number), createdAt: expect.any(String) });
        expect(body.queries.find((x: { query: string; filters: unknown }) => x.query === 'harbor' && x.filters)).toBeTruthy();
        expect((await json(`${api()}/search/queries`, memberToken)).status).toBe(403);
      });
    });
  });

  describe(`search page without an embedding model (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { search: { embeddingModel: 'no-such-model' } } });

    it('says semantic search is unavailable and shows keyword matches instead', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const cookie = await sessionCookie(t().ctx, ownerId);
      const token = await apiToken(t().ctx, ownerId);
      expect((await t().request('POST', `/api/v1/orgs/${org.slug}/documents`, { token, body: upload('gulls.txt', 'Gulls nest on the harbour wall.') })).status).toBe(201);
      await t().drainJobs();
      for (const mode of ['semantic', 'hybrid']) {
        const html = await (await t().request('GET', `/o/${org.slug}/search?q=gulls&mode=${mode}`, { cookie })).text();
        expect(html).toContain('class="warn" role="status" data-search-notice="true">Semantic search is unavailable');
        expect(hitNames(html)).toEqual(['gulls.txt']);
      }
      const keyword = await (await t().request('GET', `/o/${org.slug}/search?q=gulls&mode=keyword`, { cookie })).text();
      expect(keyword).not.toContain('data-search-notice');
    });
  });
}
