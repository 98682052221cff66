import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app';
import { DIALECTS } from '../support/db';
import { apiToken, buildMember, buildOrg } from '../support/factories';
import { FAKE_OLLAMA_ERROR, FAKE_OLLAMA_VERSION, type FakeChatRequest, type FakeOllama, startFakeOllama } from '../support/ollama-server';

/**
 * The answers API over documents processed by the real pipeline, with a real HTTP server
 * speaking Ollama's wire format in place of the model. The fake model answers with the
 * first sentence of the first passage it was given, cited as [1], like a model that
 * follows the prompt.
 */

function upload(name: string, content: string) {
  const form = new FormData();
  form.append('file', new File([content], name, { type: 'text/plain' }));
  return form;
}

/** The first sentence of passage 1, cited; "not found" when no passage was given. */
function citingReply(req: FakeChatRequest): string {
  const last = req.messages[req.messages.length - 1]?.content ?? '';
  const m = /<<BEGIN PASSAGE 1>>[^\n]*\n([\s\S]*?)\n<<END PASSAGE 1>>/.exec(last);
  if (!m) return 'The documents I can see do not answer this.';
  return `${m[1].split(/(?<=[.!?])\s+/)[0]} [1]`;
}

interface Citation { n: number; documentId: string; name: string; page: number; quote: string }
interface Result { answer: string; citations: Citation[]; degraded: boolean; reason?: string; threadId: string; messageId: string; cached: boolean }
interface SseEvent { event: string; data: any }

/** Server-sent events of a whole response body. */
function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: JSON.parse(data.join('\n')) };
    });
}

const PILOTS = 'Harbor pilot schedule\n\nThe harbor pilot boards every vessel at dawn. Tide tables decide the schedule of the pilot boat.\f\nThe harbor master closes the harbor\nwhen the tide is below two metres. Ships then wait at the outer buoy.';
const BAKERY = 'Bakery rota\n\nThe bakery opens at six in the morning. The first loaves come out of the oven at seven.';

const squash = (s: string) => s.replace(/\s+/g, ' ');

for (const dialect of DIALECTS) {
  describe(`answers API (${dialect})`, () => {
    const t = useTestApp(dialect);
    let ollama: FakeOllama;
    let api = '';
    let owner = '';
    let member = '';
    let other = '';
    const ids: Record<string, string> = {};

    const settings = (over: Record<string, unknown> = {}) => ({
      ollamaUrl: ollama.url, model: 'llama3.2:3b', firstTokenTimeoutMs: 5000, totalTimeoutMs: 20000, monthlyTokenQuota: null, userQuestionsPerHour: 60, ...over,
    });
    const ask = async (question: string, as = member, extra: Record<string, unknown> = {}) => {
      const res = await t().request('POST', `${api}/answers`, { token: as, json: { question, ...extra } });
      return { status: res.status, body: (await res.json()) as Result & { error?: { code: string; message: string } } };
    };
    const pageText = async (documentId: string, page: number) => {
      const res = await t().request('GET', `${api}/documents/${documentId}/text`, { token: owner });
      return squash(((await res.json()) as { pages: { number: number; text: string }[] }).pages.find((p) => p.number === page)?.text ?? '');
    };

    beforeAll(async () => {
      ollama = await startFakeOllama({ reply: citingReply });
      const { org, ownerId } = await buildOrg(t().ctx, { name: 'Harbor Answers' });
      api = `/api/v1/orgs/${org.slug}`;
      owner = await apiToken(t().ctx, ownerId);
      member = await apiToken(t().ctx, (await buildMember(t().ctx, org.id, 'member')).id);
      other = await apiToken(t().ctx, (await buildMember(t().ctx, org.id, 'member')).id);
      for (const [name, text] of [['pilots.txt', PILOTS], ['bakery.txt', BAKERY]]) {
        const res = await t().request('POST', `${api}/documents`, { token: owner, body: upload(name, text) });
        expect(res.status).toBe(201);
        ids[name] = ((await res.json()) as { id: string }).id;
      }
      await t().drainJobs();
      const res = await t().request('PUT', `${api}/settings/answers`, { token: owner, json: settings() });
      expect(res.status).toBe(200);
    });

    afterAll(async () => {
      await ollama?.stop();
    });

    it('streams passages, then the words, then the result, as server-sent events', async () => {
      const res = await t().request('POST', `${api}/answers/stream`, { token: member, json: { question: 'When does the harbor master close the harbor?' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
      const events = parseSse(await res.text());
      const kinds = events.map((e) => e.event);
      expect(kinds[0]).toBe('passages');
      expect(kinds.at(-1)).toBe('done');
      const tokens = events.filter((e) => e.event === 'token');
      expect(tokens.length).toBeGreaterThan(3);
      expect(kinds.slice(1, -1).every((k) => k === 'token')).toBe(true);
      expect(events[0].data.passages[0]).toMatchObject({ n: 1, documentId: ids['pilots.txt'], name: 'pilots.txt' });
      const done = events.at(-1)!.data as Result;
      expect(done).toMatchObject({ degraded: false, cached: false });
      expect(done.threadId).toBeTruthy();
      expect(done.messageId).toBeTruthy();
      // What streamed is the answer that was kept.
      expect(tokens.map((e) => e.data.text).join('').trim()).toBe(done.answer);
      expect(done.answer).toMatch(/\[1\]$/);
      // The model was asked with the passages, fenced.
      const chat = ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!;
      expect(chat.body.messages.at(-1).content).toContain('<<BEGIN PASSAGE 1>> document: pilots.txt');
    });

    it('answers as JSON with citations whose quotes are on the cited page of the cited document', async () => {
      const { status, body } = await ask('Who boards every vessel at dawn?');
      expect(status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(['answer', 'cached', 'citations', 'degraded', 'messageId', 'threadId']);
      expect(body.degraded).toBe(false);
      expect(body.citations.length).toBeGreaterThan(0);
      for (const c of body.citations) {
        expect(body.answer).toContain(`[${c.n}]`);
        expect(c.quote.length).toBeGreaterThan(10);
        expect(await pageText(c.documentId, c.page)).toContain(squash(c.quote));
      }
      // Asked again: the same answer from the cache.
      const again = await ask('who boards every vessel at dawn');
      expect(again.body).toMatchObject({ answer: body.answer, cached: true, degraded: false });
    });

    it('keeps to a scope, and refuses an empty question or a document of another organization', async () => {
      const { body } = await ask('When do the first loaves come out of the oven?', member, { scope: { documentId: ids['bakery.txt'] } });
      expect(body.citations.map((c) => c.documentId)).toEqual([ids['bakery.txt']]);
      expect(body.citations[0].quote).toMatch(/loaves|bakery/);

      const empty = await ask('   ');
      expect(empty.status).toBe(400);
      expect(empty.body.error!.code).toBe('validation_failed');
      const stream = await t().request('POST', `${api}/answers/stream`, { token: member, json: { question: '' } });
      expect(stream.status).toBe(400);

      const elsewhere = await buildOrg(t().ctx);
      const outsider = await apiToken(t().ctx, elsewhere.ownerId);
      expect((await t().request('POST', `${api}/answers`, { token: outsider, json: { question: 'harbor?' } })).status).toBe(404);
      expect((await t().request('GET', `${api}/answers/threads`, { token: outsider })).status).toBe(404);
      const foreign = await ask('harbor?', member, { scope: { documentId: 'nope' } });
      expect(foreign.status).toBe(404);
    });

    it('replaces what streamed when the model fails, and says why', async () => {
      ollama.set({ behaviour: 'error' });
      try {
        const res = await t().request('POST', `${api}/answers/stream`, { token: member, json: { question: 'What decides the schedule of the pilot boat?' } });
        const events = parseSse(await res.text());
        const done = events.at(-1)!.data as Result;
        expect(done.degraded).toBe(true);
        expect(done.reason).toContain(FAKE_OLLAMA_ERROR);
        expect(done.citations.length).toBeGreaterThan(0);
        for (const c of done.citations) expect(await pageText(c.documentId, c.page)).toContain(squash(c.quote));
      } finally {
        ollama.set({ behaviour: 'normal' });
      }
    });

    it('stops the model when the client goes away', async () => {
      ollama.set({ reply: () => Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ') + ' [1]', tokenDelayMs: 100 });
      try {
        const question = 'Where do ships wait at the outer buoy?';
        const res = await t().request('POST', `${api}/answers/stream`, { token: member, json: { question } });
        const reader = res.body!.getReader();
        let seen = '';
        while (!seen.includes('event: token')) seen += new TextDecoder().decode((await reader.read()).value);
        await reader.cancel();
        // Had the model gone on, the answer would be complete (and saved) after about 2 s.
        await new Promise((r) => setTimeout(r, 2600));
        const saved = await t().db.db.selectFrom('answer_message').select('id').where('question', '=', question).execute();
        expect(saved).toEqual([]);
      } finally {
        ollama.set({ reply: citingReply, tokenDelayMs: 0 });
      }
    });

    it('keeps threads to the asker: list, get with messages, delete; another user gets 404', async () => {
      const first = await ask('Who boards every vessel?');
      t().clock.advance(1000);
      const follow = await ask('And at what time?', member, { threadId: first.body.threadId });
      expect(follow.status).toBe(200);
      expect(follow.body.threadId).toBe(first.body.threadId);

      const list = (await (await t().request('GET', `${api}/answers/threads`, { token: member })).json()) as { threads: { id: string; title: string }[] };
      expect(list.threads.map((x) => x.id)).toContain(first.body.threadId);
      expect(list.threads.find((x) => x.id === first.body.threadId)!.title).toBe('Who boards every vessel?');
      const thread = (await (await t().request('GET', `${api}/answers/threads/${first.body.threadId}`, { token: member })).json()) as { messages: { id: string; question: string; citations: Citation[] }[] };
      expect(thread.messages.map((m) => m.question)).toEqual(['Who boards every vessel?', 'And at what time?']);
      expect(thread.messages[0].citations.length).toBeGreaterThan(0);

      const theirs = (await (await t().request('GET', `${api}/answers/threads`, { token: other })).json()) as { threads: { id: string }[] };
      expect(theirs.threads.map((x) => x.id)).not.toContain(first.body.threadId);
      expect((await t().request('GET', `${api}/answers/threads/${first.body.threadId}`, { token: other })).status).toBe(404);
      expect((await t().request('DELETE', `${api}/answers/threads/${first.body.threadId}`, { token: other })).status).toBe(404);
      expect((await ask('Follow up?', other, { threadId: first.body.threadId })).status).toBe(404);
      const streamed = await t().request('POST', `${api}/answers/stream`, { token: other, json: { question: 'Follow up?', threadId: first.body.threadId } });
      expect(streamed.status).toBe(404);
      expect(streamed.headers.get('Content-Type')).toMatch(/json/);

      expect((await t().request('DELETE', `${api}/answers/threads/${first.body.threadId}`, { token: member })).status).toBe(204);
      expect((await t().request('GET', `${api}/answers/threads/${first.body.threadId}`, { token: member })).status).toBe(404);
    });

    it('stores feedback on an answer and takes a new rating', async () => {
      const { body } = await ask('When does the bakery open?');
      const feedback = (json: unknown, as = member) => t().request('POST', `${api}/answers/messages/${body.messageId}/feedback`, { token: as, json });
      const stored = async () => {
        const thread = (await (await t().request('GET', `${api}/answers/threads/${body.threadId}`, { token: member })).json()) as { messages: { feedback: unknown }[] };
        return thread.messages[0].feedback;
      };
      expect((await feedback({ rating: 'up', comment: 'Clear and right.' })).status).toBe(204);
      expect(await stored()).toEqual({ rating: 1, comment: 'Clear and right.' });
      expect((await feedback({ rating: -1 })).status).toBe(204);
      expect(await stored()).toEqual({ rating: -1, comment: null });
      expect((await feedback({ rating: 'maybe' })).status).toBe(400);
      expect((await feedback({ rating: 'up' }, other)).status).toBe(404);
    });

    it('summarizes a document, citing only it', async () => {
      const res = await t().request('POST', `${api}/documents/${ids['pilots.txt']}/summary`, { token: member });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Result;
      expect(body.degraded).toBe(false);
      expect(body.citations.length).toBeGreaterThan(0);
      for (const c of body.citations) {
        expect(c.documentId).toBe(ids['pilots.txt']);
        expect(await pageText(c.documentId, c.page)).toContain(squash(c.quote));
      }
      const stream = await t().request('POST', `${api}/documents/${ids['bakery.txt']}/summary/stream`, { token: member });
      expect(stream.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
      const events = parseSse(await stream.text());
      expect(events.map((e) => e.event)[0]).toBe('passages');
      expect((events.at(-1)!.data as Result).citations.every((c) => c.documentId === ids['bakery.txt'])).toBe(true);
      expect((await t().request('POST', `${api}/documents/missing/summary`, { token: member })).status).toBe(404);
    });

    it('lets administrators read and change the settings; members get 403; bad values are 400', async () => {
      expect((await t().request('GET', `${api}/settings/answers`, { token: member })).status).toBe(403);
      expect((await t().request('PUT', `${api}/settings/answers`, { token: member, json: settings() })).status).toBe(403);
      expect((await t().request('GET', `${api}/settings/answers/health`, { token: member })).status).toBe(403);

      const read = await t().request('GET', `${api}/settings/answers`, { token: owner });
      expect(read.status).toBe(200);
      const s = (await read.json()) as Record<string, any>;
      expect(s).toMatchObject({ ollamaUrl: ollama.url, model: 'llama3.2:3b', firstTokenTimeoutMs: 5000, totalTimeoutMs: 20000, monthlyTokenQuota: null, userQuestionsPerHour: 60 });
      // The model's answers so far used tokens this month.
      expect(s.usage.month).toMatch(/^\d{4}-\d{2}$/);
      expect(s.usage.promptTokens).toBeGreaterThan(0);
      expect(s.usage.completionTokens).toBeGreaterThan(0);

      const put = (json: unknown) => t().request('PUT', `${api}/settings/answers`, { token: owner, json });
      const changed = await put(settings({ monthlyTokenQuota: 500000, userQuestionsPerHour: 30 }));
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ monthlyTokenQuota: 500000, userQuestionsPerHour: 30 });
      for (const bad of [settings({ firstTokenTimeoutMs: 5 }), settings({ ollamaUrl: 'ftp://models.local' }), settings({ totalTimeoutMs: 2000, firstTokenTimeoutMs: 4000 }), settings({ model: 'rm -rf' }), { ...settings(), extra: 1 }]) {
        const res = await put(bad);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
      }
      expect((await put(settings())).status).toBe(200);
    });

    it('reports the health of the Ollama server: up, model missing, down, not configured', async () => {
      const health = async () => {
        const res = await t().request('GET', `${api}/settings/answers/health`, { token: owner });
        expect(res.status).toBe(200);
        return (await res.json()) as { configured: boolean; ok: boolean; version?: string; modelFound?: boolean; message: string };
      };
      const put = (over: Record<string, unknown>) => t().request('PUT', `${api}/settings/answers`, { token: owner, json: settings(over) });
      try {
        const up = await health();
        expect(up).toMatchObject({ configured: true, ok: true, version: FAKE_OLLAMA_VERSION, modelFound: true });
        // The model's details come from /api/show.
        expect((up as { details?: { family?: string } }).details?.family).toBeTruthy();

        await put({ model: 'mistral:7b' });
        const missing = await health();
        expect(missing).toMatchObject({ configured: true, ok: false, version: FAKE_OLLAMA_VERSION, modelFound: false });
        expect(missing.message).toContain('mistral:7b is not installed');

        const gone = await startFakeOllama();
        await gone.stop();
        await put({ ollamaUrl: gone.url });
        const down = await health();
        expect(down).toMatchObject({ configured: true, ok: false });
        expect(down.version).toBeUndefined();
        expect(down.message).toContain(gone.url);

        await put({ ollamaUrl: '' });
        expect(await health()).toMatchObject({ configured: false, ok: false });
      } finally {
        await put({});
      }
    });

    it('limits the questions a user asks per hour with a 429 and a clear message', async () => {
      const { org, ownerId } = await buildOrg(t().ctx);
      const admin = await apiToken(t().ctx, ownerId);
      const base = `/api/v1/orgs/${org.slug}`;
      expect((await t().request('PUT', `${base}/settings/answers`, { token: admin, json: settings({ userQuestionsPerHour: 2 }) })).status).toBe(200);
      const askHere = (question: string, path = 'answers') => t().request('POST', `${base}/${path}`, { token: admin, json: { question } });
      expect((await askHere('One?')).status).toBe(200);
      expect((await askHere('Two?')).status).toBe(200);
      for (const path of ['answers', 'answers/stream']) {
        const res = await askHere('Three?', path);
        expect(res.status).toBe(429);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('rate_limited');
        expect(body.error.message).toBe('You have asked 2 questions in the last hour, the most allowed. Try again later.');
      }
    });
  });
}
