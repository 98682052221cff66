import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { apiToken, buildMember, buildOrg, sessionCookie } from '../support/factories';
import { FAKE_OLLAMA_ERROR, type FakeChatRequest, type FakeOllama, startFakeOllama } from '../support/ollama-server';

/**
 * The answers pages: ask boxes on the search page, a folder and a document; the plain
 * forms behind them (no JavaScript) landing on the thread page with citation links; the
 * cited page with the quoted sentence marked; threads, feedback, and the administrators'
 * settings with the health panel. A real HTTP server speaking Ollama's wire format stands
 * in for the model; it answers with the first sentence of passage 1, cited as [1].
 */

function upload(name: string, content: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new File([content], name, { type: 'text/plain' }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

function citingReply(req: FakeChatRequest): string {
  const last = req.messages[req.messages.length - 1]?.content ?? '';
  const m = /<<BEGIN PASSAGE 1>>[^\n]*\n([\s\S]*?)\n<<END PASSAGE 1>>/.exec(last);
  if (!m) return 'The documents I can see do not answer this.';
  return `${m[1].split(/(?<=[.!?])\s+/)[0]} [1]`;
}

const PILOTS = 'Harbor pilot schedule\n\nThe harbor pilot boards every vessel at dawn. Tide tables decide the schedule of the pilot boat.\f\nThe harbor master closes the harbor\nwhen the tide is below two metres. Ships then wait at the outer buoy.';
const BAKERY = 'Bakery rota\n\nThe bakery opens at six in the morning. The first loaves come out of the oven at seven.';

const amp = (s: string) => s.replaceAll('&', '&amp;');
const unamp = (s: string) => s.replaceAll('&amp;', '&');

for (const dialect of DIALECTS) {
  describe(`answers pages (${dialect})`, () => {
    const t = useTestApp(dialect);
    let ollama: FakeOllama;
    let slug = '';
    let admin = '';
    let memberCookie = '';
    let otherCookie = '';
    let outsiderCookie = '';
    let folder = '';
    const ids: Record<string, string> = {};

    const get = async (path: string, cookie = memberCookie, headers: Record<string, string> = {}) => {
      const res = await t().request('GET', path, { cookie, headers });
      return { status: res.status, html: await res.text(), res };
    };
    const post = (path: string, form: Record<string, string>, cookie = memberCookie, headers: Record<string, string> = {}) => t().request('POST', path, { cookie, form, headers });
    /** Asks with the plain form; returns the thread page it lands on. */
    const askForm = async (form: Record<string, string>, cookie = memberCookie) => {
      const res = await post(`/o/${slug}/answers`, form, cookie);
      expect(res.status).toBe(303);
      const location = res.headers.get('Location')!;
      expect(location).toMatch(new RegExp(`^/o/${slug}/answers/[\\w-]+#m-[\\w-]+$`));
      return { location, threadId: location.split('/').pop()!.split('#')[0], ...(await get(location.split('#')[0], cookie)) };
    };

    beforeAll(async () => {
      ollama = await startFakeOllama({ reply: citingReply });
      const { org, ownerId } = await buildOrg(t().ctx, { name: 'Harbor Pages' });
      slug = org.slug;
      admin = await sessionCookie(t().ctx, ownerId);
      const token = await apiToken(t().ctx, ownerId);
      memberCookie = await sessionCookie(t().ctx, (await buildMember(t().ctx, org.id, 'member')).id);
      otherCookie = await sessionCookie(t().ctx, (await buildMember(t().ctx, org.id, 'member')).id);
      outsiderCookie = await sessionCookie(t().ctx, (await buildOrg(t().ctx)).ownerId);
      const api = `/api/v1/orgs/${slug}`;
      folder = ((await (await t().request('POST', `${api}/folders`, { token, json: { name: 'Port office' } })).json()) as { id: string }).id;
      for (const [name, text, fields] of [['pilots.txt', PILOTS, { folder }], ['bakery.txt', BAKERY, {}]] as const) {
        const res = await t().request('POST', `${api}/documents`, { token, body: upload(name, text, fields) });
        expect(res.status).toBe(201);
        ids[name] = ((await res.json()) as { id: string }).id;
      }
      await t().drainJobs();
      const res = await t().request('PUT', `${api}/settings/answers`, {
        token, json: { ollamaUrl: ollama.url, model: 'llama3.2:3b', firstTokenTimeoutMs: 5000, totalTimeoutMs: 20000, monthlyTokenQuota: null, userQuestionsPerHour: 100 },
      });
      expect(res.status).toBe(200);
    });

    afterAll(async () => {
      await ollama?.stop();
    });

    it('puts an ask box on the search page (whole library, or the folder filter), a folder page and a document page', async () => {
      const search = await get(`/o/${slug}/search`);
      expect(search.status).toBe(200);
      expect(search.html).toContain(`<form id="ask-form" method="post" action="/o/${slug}/answers" class="askform" data-ask-form="true" data-org="${slug}" data-stream="/api/v1/orgs/${slug}/answers/stream" data-output="ask-output">`);
      expect(search.html).toContain('<script src="/assets/ask.js" defer></script>');
      expect(search.html).toContain('<div id="ask-output" class="ask-output" aria-live="polite" data-ask-output="true"></div>');
      expect(search.html).not.toContain('name="folderId"');
      // The folder filter joins the ask form from the results region (so htmx searches keep it current).
      const filtered = await get(`/o/${slug}/search?q=harbor&folder=${folder}`);
      expect(filtered.html).toContain(`<input type="hidden" name="folderId" value="${folder}" form="ask-form"/>`);
      const fragment = await get(`/o/${slug}/search?q=harbor&folder=${folder}`, memberCookie, { 'HX-Request': 'true' });
      expect(fragment.html).toContain(`<input type="hidden" name="folderId" value="${folder}" form="ask-form"/>`);
      // The navigation has Answers.
      expect(search.html).toContain(`<a href="/o/${slug}/answers">Answers</a>`);

      const folderPage = await get(`/o/${slug}/documents?folder=${folder}`);
      expect(folderPage.html).toContain('<h2 id="ask-h">Ask about Port office</h2>');
      expect(folderPage.html).toContain(`<input type="hidden" name="folderId" value="${folder}"/>`);
      expect((await get(`/o/${slug}/documents`)).html).not.toContain('id="ask-form"');

      const doc = await get(`/o/${slug}/documents/${ids['pilots.txt']}`);
      expect(doc.html).toContain('<h2 id="ask-h">Ask this document</h2>');
      expect(doc.html).toContain(`<input type="hidden" name="documentId" value="${ids['pilots.txt']}"/>`);
      expect(doc.html).toContain(`<form method="post" action="/o/${slug}/documents/${ids['pilots.txt']}/summary" class="askform askform--summary" data-ask-form="true" data-org="${slug}" data-stream="/api/v1/orgs/${slug}/documents/${ids['pilots.txt']}/summary/stream" data-output="ask-output">`);
      expect(doc.html).toContain('Summarize this document</button>');

      const asset = await t().request('GET', '/assets/ask.js');
      expect(asset.status).toBe(200);
      expect(asset.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    });

    it('answers the plain form on the thread page, with citation links to the quoted sentence on its page', async () => {
      const { status, html } = await askForm({ question: 'When does the harbor master close the harbor?' });
      expect(status).toBe(200);
      expect(html).toContain('<h2 class="qa-q">When does the harbor master close the harbor?</h2>');
      expect(html).toContain('Asked about all the documents you can read.');
      const cites = [...html.matchAll(/<a class="cite" href="([^"]+)" title="([^"]+)" data-cite="(\d+)">\[(\d+)\]<\/a>/g)];
      expect(cites.length).toBeGreaterThan(0);
      const href = unamp(cites[0][1]);
      const url = new URL(href, 'http://localhost');
      expect(url.pathname).toBe(`/o/${slug}/documents/${ids['pilots.txt']}`);
      const page = url.searchParams.get('page')!;
      expect(url.hash).toBe(`#page-${page}`);
      const quote = url.searchParams.get('quote')!;
      expect(quote.length).toBeGreaterThan(10);
      expect(url.searchParams.get('hl')!.split(',').every((w) => quote.toLowerCase().includes(w))).toBe(true);
      expect(cites[0][2]).toBe(`pilots.txt, page ${page}`);
      // The sources list: document, page and quoted sentence.
      expect(html).toContain(`<li value="1" data-source="1"><a href="${amp(href).replaceAll('"', '&quot;')}">pilots.txt</a><span class="muted">, page ${page}</span><q class="source-quote">`);
      expect(html).not.toContain('data-answer-degraded');
      expect(html).toContain(`<form id="ask-form" method="post" action="/o/${slug}/answers"`);
      expect(html).toMatch(/<input type="hidden" name="threadId" value="[\w-]+"\/>/);

      // The citation opens the document at that page with the quoted sentence marked.
      const doc = await get(href);
      expect(doc.status).toBe(200);
      const marked = /<article [^>]*id="page-(\d+)" data-hl-page>(?:(?!<\/article>)[\s\S])*?<mark class="quote" data-quote="true">([^<]+)<\/mark>/.exec(doc.html);
      expect(marked?.[1]).toBe(page);
      expect(marked![2].replace(/\s+/g, ' ')).toBe(quote);
      expect(doc.html.match(/<mark/g)).toHaveLength(1);
    });

    it('marks the words instead when the quoted sentence is not on the page', async () => {
      const doc = await get(`/o/${slug}/documents/${ids['pilots.txt']}?page=1&hl=pilot&quote=${encodeURIComponent('A sentence that is not there.')}#page-1`);
      expect(doc.html).not.toContain('class="quote"');
      expect(doc.html).toContain('<mark>pilot</mark>');
    });

    it('keeps the scope of a folder, and summarizes a document from the plain button', async () => {
      const scoped = await askForm({ question: 'Who boards every vessel at dawn?', folderId: folder });
      expect(scoped.html).toContain(`Asked about the folder <a href="/o/${slug}/documents?folder=${folder}">Port office</a>.`);
      expect(scoped.html).toContain(`/documents/${ids['pilots.txt']}?page=`);

      const res = await post(`/o/${slug}/documents/${ids['bakery.txt']}/summary`, {});
      expect(res.status).toBe(303);
      const thread = await get(res.headers.get('Location')!.split('#')[0]);
      expect(thread.html).toContain('<h2 class="qa-q">Summarize &quot;bakery.txt&quot;</h2>');
      expect(thread.html).toContain(`Asked about the document <a href="/o/${slug}/documents/${ids['bakery.txt']}">bakery.txt</a>.`);
      expect(thread.html).toContain(`<a class="cite" href="/o/${slug}/documents/${ids['bakery.txt']}?page=1`);
    });

    it('shows a plain notice when the answer is not the model\'s, and a hint when it came from the cache', async () => {
      ollama.set({ behaviour: 'error' });
      try {
        const { html } = await askForm({ question: 'What decides the schedule of the pilot boat?' });
        expect(html).toMatch(new RegExp(`<p class="warn small" role="note" data-answer-degraded="true">[^<]*${FAKE_OLLAMA_ERROR}`));
        expect(html).toContain('<a class="cite"');
      } finally {
        ollama.set({ behaviour: 'normal' });
      }
      const first = await askForm({ question: 'When does the bakery open?' });
      expect(first.html).not.toContain('data-answer-cached');
      const again = await askForm({ question: 'When does the bakery open?' });
      expect(again.html).toContain('<p class="muted small" data-answer-cached="true">Answered before');
    });

    it('lists the asker\'s threads; follow-ups join the thread; another user gets 404; threads can be deleted', async () => {
      const { threadId } = await askForm({ question: 'Where do ships wait?' });
      t().clock.advance(1000);
      const follow = await askForm({ question: 'And when?', threadId });
      expect(follow.threadId).toBe(threadId);
      expect([...follow.html.matchAll(/<h2 class="qa-q">([^<]+)<\/h2>/g)].map((m) => m[1])).toEqual(['Where do ships wait?', 'And when?']);

      const list = await get(`/o/${slug}/answers`);
      expect(list.status).toBe(200);
      expect(list.html).toContain(`<a href="/o/${slug}/answers" aria-current="page">Answers</a>`);
      expect(list.html).toContain(`<a href="/o/${slug}/answers/${threadId}" class="docname" data-thread="${threadId}">Where do ships wait?</a>`);
      const theirs = await get(`/o/${slug}/answers`, otherCookie);
      expect(theirs.html).not.toContain(threadId);
      expect(theirs.html).toContain('No questions yet.');
      expect((await get(`/o/${slug}/answers/${threadId}`, otherCookie)).status).toBe(404);
      expect((await post(`/o/${slug}/answers`, { question: 'Mine now?', threadId }, otherCookie)).status).toBe(404);
      expect((await post(`/o/${slug}/answers/${threadId}/delete`, {}, otherCookie)).status).toBe(404);

      const del = await post(`/o/${slug}/answers/${threadId}/delete`, {});
      expect(del.status).toBe(303);
      expect(del.headers.get('Location')).toBe(`/o/${slug}/answers`);
      expect((await get(`/o/${slug}/answers/${threadId}`)).status).toBe(404);
    });

    it('takes thumbs up or down with a comment, with htmx or a plain post, and shows the choice', async () => {
      const { threadId, html } = await askForm({ question: 'When do the first loaves come out?' });
      const messageId = /data-message="([\w-]+)"/.exec(html)![1];
      const action = `/o/${slug}/answers/messages/${messageId}/feedback`;
      expect(html).toContain(`<form id="fb-${messageId}" method="post" action="${action}" class="feedback" hx-post="${action}" hx-target="this" hx-swap="outerHTML" data-feedback="${messageId}">`);
      expect(html).toContain('aria-pressed="false" data-rating="up"');

      const htmx = await post(action, { threadId, rating: 'up', comment: 'Right on.' }, memberCookie, { 'HX-Request': 'true' });
      expect(htmx.status).toBe(200);
      const fragment = await htmx.text();
      expect(fragment).toMatch(/^<form id="fb-/);
      expect(fragment).toContain('aria-pressed="true" data-rating="up"');
      expect(fragment).toContain('aria-pressed="false" data-rating="down"');
      expect(fragment).toContain('value="Right on."');
      expect(fragment).toContain('Thank you: your feedback is saved.');

      const plain = await post(action, { threadId, rating: 'down' });
      expect(plain.status).toBe(303);
      expect(plain.headers.get('Location')).toBe(`/o/${slug}/answers/${threadId}#m-${messageId}`);
      const after = await get(`/o/${slug}/answers/${threadId}`);
      expect(after.html).toContain('aria-pressed="true" data-rating="down"');
      expect(after.html).toContain('aria-pressed="false" data-rating="up"');
      expect((await post(action, { threadId, rating: 'up' }, otherCookie)).status).toBe(404);
    });

    it('shows the answer settings to administrators only, saves them, explains bad values and checks the server', async () => {
      expect((await get(`/o/${slug}/settings/answers`)).status).toBe(403);
      expect((await post(`/o/${slug}/settings/answers`, { model: 'x' })).status).toBe(403);
      expect((await get(`/o/${slug}/settings/answers/health`)).status).toBe(403);
      expect((await get(`/o/${slug}/settings`, admin)).html).toContain(`<a href="/o/${slug}/settings/answers">Answer settings</a>`);

      const { status, html } = await get(`/o/${slug}/settings/answers`, admin);
      expect(status).toBe(200);
      expect(html).toContain(`<input id="a-ollamaUrl" name="ollamaUrl" type="url" value="${ollama.url}"`);
      expect(html).toContain('<input id="a-model" name="model" value="llama3.2:3b"');
      expect(html).toMatch(/<input id="a-firstTokenTimeoutMs" name="firstTokenTimeoutMs" type="number" value="5000"/);
      expect(html).toMatch(/<input id="a-monthlyTokenQuota" name="monthlyTokenQuota" type="number" value(="")? min/);
      expect(html).toMatch(/<h2 id="usage-h">Use this month \(\d{4}-\d{2}\)<\/h2>/);
      expect(html).toContain(`<div id="answers-health" hx-get="/o/${slug}/settings/answers/health" hx-trigger="load">`);

      const health = await get(`/o/${slug}/settings/answers/health`, admin);
      expect(health.html).toContain('<dd data-health-reachable="true"><span class="health-yes">Yes</span></dd>');
      expect(health.html).toContain('<dd data-health-version="true">0.12.6</dd>');
      expect(health.html).toContain('<dd data-health-model="true"><span class="health-yes">Yes</span>');
      const checked = await get(`/o/${slug}/settings/answers?check=1`, admin);
      expect(checked.html).toContain('<span class="health-yes">Yes</span>');

      const form = { ollamaUrl: ollama.url, model: 'llama3.2:3b', firstTokenTimeoutMs: '4000', totalTimeoutMs: '30000', monthlyTokenQuota: '', userQuestionsPerHour: '100' };
      const bad = await post(`/o/${slug}/settings/answers`, { ...form, firstTokenTimeoutMs: '5' }, admin);
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toMatch(/<p class="alert" role="alert">Time for the first words: [^<]+<\/p>/);
      expect(badHtml).toContain('name="firstTokenTimeoutMs" type="number" value="5"');

      const saved = await post(`/o/${slug}/settings/answers`, { ...form, model: 'mistral:7b' }, admin);
      expect(saved.status).toBe(303);
      expect(saved.headers.get('Location')).toBe(`/o/${slug}/settings/answers`);
      const now = await get(`/o/${slug}/settings/answers`, admin);
      expect(now.html).toContain('value="mistral:7b"');
      expect(now.html).toMatch(/name="firstTokenTimeoutMs" type="number" value="4000"/);
      // An empty quota stays "no quota".
      expect(now.html).toMatch(/name="monthlyTokenQuota" type="number" value(="")? min/);
      const missing = await get(`/o/${slug}/settings/answers/health`, admin);
      expect(missing.html).toContain('<dd data-health-model="true"><span class="health-no">No</span>');
      expect(missing.html).toContain('mistral:7b is not installed');
      expect((await post(`/o/${slug}/settings/answers`, form, admin)).status).toBe(303);
    });

    it('streams to the signed-in browser (cookie and same-origin Origin), and refuses another site', async () => {
      const api = `/api/v1/orgs/${slug}/answers/stream`;
      const ok = await t().request('POST', api, { cookie: memberCookie, json: { question: 'Who boards every vessel?' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
      expect(await ok.text()).toMatch(/^event: passages\n[\s\S]*\nevent: done\ndata: \{/);
      const forged = await t().request('POST', api, { cookie: memberCookie, json: { question: 'Who boards every vessel?' }, headers: { Origin: 'https://evil.example' } });
      expect(forged.status).toBe(403);
    });

    it('is not found from another organization', async () => {
      expect((await get(`/o/${slug}/answers`, outsiderCookie)).status).toBe(404);
      expect((await post(`/o/${slug}/answers`, { question: 'harbor?' }, outsiderCookie)).status).toBe(404);
      expect((await get(`/o/${slug}/settings/answers`, outsiderCookie)).status).toBe(404);
      expect((await post(`/o/${slug}/documents/${ids['pilots.txt']}/summary`, {}, outsiderCookie)).status).toBe(404);
    });
  });
}
