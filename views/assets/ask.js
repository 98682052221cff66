// Asking the documents: the ask boxes and the "Summarize this document" button are plain
// forms that post and show the answer on its thread page. With this file, they post to the
// answers API instead and stream the answer in: the words appear as the model writes them
// (as plain text), then the final answer replaces them, its [n] markers turned into links
// to the cited page, with the sources, a notice when the answer is not the model's, and a
// hint when it came from the cache. The final answer can differ from what streamed (an
// answer that fails the citation check is replaced by the passages that match best).
//
// The requests are same-origin fetches with the session cookie; the browser sends the
// Origin header that Folio's CSRF check expects. No HTML from the server or the model is
// ever inserted: everything is built as elements and text.

(() => {
  if (window.folioAskReady) return;
  window.folioAskReady = true;

  /** Words of a quote to mark on the document page; the same rule as citationHref on the server. */
  function quoteWords(quote) {
    const out = [];
    for (const w of quote.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) || []) if (!out.includes(w)) out.push(w);
    return out.slice(0, 8);
  }

  /** The cited document at the cited page with the quoted sentence marked (answer.views.tsx builds the same). */
  function citationHref(org, c) {
    const params = new URLSearchParams({ page: String(c.page) });
    const hl = quoteWords(c.quote || '');
    if (hl.length) params.set('hl', hl.join(','));
    if (c.quote) params.set('quote', c.quote);
    return `/o/${org}/documents/${encodeURIComponent(c.documentId)}?${params}#page-${c.page}`;
  }

  const threadHref = (org, threadId) => `/o/${org}/answers/${encodeURIComponent(threadId)}`;

  /** An element with attributes and children (strings become text nodes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v));
    for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(child);
    return el;
  }

  /** A paragraph of answer text with its [n] markers as links to the citations. */
  function paragraph(org, text, byN) {
    return h('p', null, text.split(/\[(\d+)\]/).map((part, i) => {
      if (i % 2 === 0) return part;
      const c = byN.get(Number(part));
      if (!c) return `[${part}]`;
      return h('a', { class: 'cite', href: citationHref(org, c), title: `${c.name}, page ${c.page}`, 'data-cite': c.n }, `[${c.n}]`);
    }));
  }

  /** The final answer, as the thread page shows it (AnswerBody in answer.views.tsx). */
  function renderAnswer(org, r, withThreadLink) {
    const citations = Array.isArray(r.citations) ? r.citations : [];
    const byN = new Map(citations.map((c) => [c.n, c]));
    const paragraphs = String(r.answer || '').split(/\n{2,}/).map((p) => p.trim()).filter(Boolean);
    return h('div', { class: 'answer', 'data-answer': true },
      r.degraded && h('p', { class: 'warn small', role: 'note', 'data-answer-degraded': true }, r.reason || 'This answer was not written by the language model.'),
      h('div', { class: 'answer-text' }, paragraphs.map((p) => paragraph(org, p, byN))),
      citations.length > 0 && h('div', { class: 'sources' },
        h('h3', null, 'Sources'),
        h('ol', null, citations.map((c) => h('li', { value: c.n, 'data-source': c.n },
          h('a', { href: citationHref(org, c) }, c.name),
          h('span', { class: 'muted' }, `, page ${c.page}`),
          c.quote && h('q', { class: 'source-quote' }, c.quote),
        ))),
      ),
      r.cached && h('p', { class: 'muted small', 'data-answer-cached': true }, 'Answered before: this answer comes from the cache, and the documents have not changed since.'),
      withThreadLink && r.threadId && h('p', { class: 'small' }, h('a', { href: threadHref(org, r.threadId), 'data-thread-link': true }, 'Open as a conversation to ask follow-up questions')),
    );
  }

  /** Server-sent events from a fetch response, as {event, data} objects. */
  async function* events(response, signal) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const parse = (block) => {
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      return { event, data: data.join('\n') };
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.trim()) yield parse(block);
        }
      }
      if (buffer.trim()) yield parse(buffer);
    } finally {
      if (signal.aborted) reader.cancel().catch(() => {});
    }
  }

  /** The error message of a failed response: the API's `{error: {message}}`, or its status. */
  async function errorOf(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch {
      // not JSON
    }
    return `The answer could not be loaded (HTTP ${response.status}).`;
  }

  /** The question and scope of an ask form as the API's body (fields joined with form= count too). */
  function bodyOf(form) {
    const data = new FormData(form);
    const value = (name) => {
      const v = data.get(name);
      return typeof v === 'string' && v.trim() ? v.trim() : undefined;
    };
    if (!form.querySelector('[name="question"]')) return undefined;
    const scope = {};
    if (value('folderId')) scope.folderId = value('folderId');
    if (value('documentId')) scope.documentId = value('documentId');
    const body = { question: value('question') || '' };
    if (value('threadId')) body.threadId = value('threadId');
    if (Object.keys(scope).length) body.scope = scope;
    return body;
  }

  /**
   * A follow-up on a thread page: the conversation is loaded again with the new answer in
   * it (and its feedback buttons); the streamed text goes. Without htmx, the page reloads.
   */
  async function showInThread(org, r, output, form) {
    const href = threadHref(org, r.threadId);
    const list = document.querySelector('[data-thread-messages]');
    if (!window.htmx || !list || window.location.pathname !== href) {
      window.location.assign(`${href}?m=${encodeURIComponent(r.messageId)}#m-${encodeURIComponent(r.messageId)}`);
      return;
    }
    await window.htmx.ajax('GET', href, { target: '[data-thread-messages]', select: '[data-thread-messages]', swap: 'outerHTML' });
    output.replaceChildren();
    const q = form.querySelector('[name="question"]');
    if (q) q.value = '';
    document.getElementById(`m-${r.messageId}`)?.scrollIntoView({ block: 'start' });
  }

  const running = new WeakMap();

  async function run(form) {
    const output = document.getElementById(form.dataset.output || '');
    const org = form.dataset.org;
    if (!output || !org) return;
    running.get(output)?.abort();
    const controller = new AbortController();
    running.set(output, controller);
    const buttons = [...document.querySelectorAll(`form[data-output="${form.dataset.output}"] button[type="submit"]`)];
    buttons.forEach((b) => { b.disabled = true; });

    const status = h('p', { class: 'muted small ask-status', 'data-ask-status': true }, 'Looking through your documents…');
    const streamed = h('p', { class: 'ask-stream', 'data-ask-stream': true });
    output.replaceChildren(status, streamed);
    output.setAttribute('aria-busy', 'true');
    const fail = (message) => output.replaceChildren(h('p', { class: 'alert', role: 'alert', 'data-ask-error': true }, message));

    try {
      const body = bodyOf(form);
      const response = await fetch(form.dataset.stream, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'text/event-stream', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: controller.signal,
      });
      if (!response.ok || !(response.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
        fail(await errorOf(response));
        return;
      }
      let finished = false;
      for await (const e of events(response, controller.signal)) {
        const data = e.data ? JSON.parse(e.data) : {};
        if (e.event === 'passages') {
          const n = (data.passages || []).length;
          const docs = new Set((data.passages || []).map((p) => p.documentId)).size;
          status.textContent = n ? `Reading ${n} ${n === 1 ? 'passage' : 'passages'} from ${docs} ${docs === 1 ? 'document' : 'documents'}…` : 'No passage matches; answering…';
        } else if (e.event === 'token') {
          streamed.append(data.text || '');
        } else if (e.event === 'done') {
          finished = true;
          if (form.dataset.after === 'reload') {
            await showInThread(org, data, output, form);
            return;
          }
          output.replaceChildren(renderAnswer(org, data, true));
          const q = form.querySelector('[name="question"]');
          if (q) q.value = '';
        } else if (e.event === 'error') {
          finished = true;
          fail(data.message || 'The answer could not be completed.');
        }
      }
      if (!finished) fail('The answer stopped before it was complete. Try again.');
    } catch (err) {
      if (controller.signal.aborted) return;
      fail('The answer could not be loaded. Check the connection and try again.');
    } finally {
      if (running.get(output) === controller) {
        running.delete(output);
        output.removeAttribute('aria-busy');
        buttons.forEach((b) => { b.disabled = false; });
      }
    }
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !form.matches('[data-ask-form]')) return;
    if (!window.fetch || !window.ReadableStream || !window.TextDecoder) return;
    event.preventDefault();
    run(form);
  });
})();
