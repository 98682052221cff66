/**
 * Views of the answers UI: the ask box (with its "Summarize this document" companion), an
 * answer with numbered citation links and its sources, feedback buttons, the thread list,
 * and the administrators' settings with the Ollama health panel. Props in, HTML out.
 * `views/assets/ask.js` renders a streamed answer with the same markup and the same links.
 */
import type { ComponentChildren } from 'preact';
import { FormError } from '../../../views/components';
import { ShortTime } from '../documents/document.views';
import type { Citation } from './citations';

/** Words of a quote worth marking on the document page (the fallback when the sentence itself cannot be found there). */
export function quoteWords(quote: string): string[] {
  const out: string[] = [];
  for (const w of quote.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? []) if (!out.includes(w)) out.push(w);
  return out.slice(0, 8);
}

/** The cited document at the cited page, the quoted sentence marked there. ask.js builds the same address. */
export function citationHref(slug: string, c: Pick<Citation, 'documentId' | 'page' | 'quote'>): string {
  const params = new URLSearchParams({ page: String(c.page) });
  const hl = quoteWords(c.quote);
  if (hl.length) params.set('hl', hl.join(','));
  if (c.quote) params.set('quote', c.quote);
  return `/o/${slug}/documents/${encodeURIComponent(c.documentId)}?${params}#page-${c.page}`;
}

export const threadHref = (slug: string, threadId: string) => `/o/${slug}/answers/${encodeURIComponent(threadId)}`;

/** A paragraph of answer text with each `[n]` that names a citation turned into a link to it; the rest stays text. */
function withCitations(slug: string, text: string, byN: Map<number, Citation>): ComponentChildren[] {
  return text.split(/\[(\d+)\]/).map((part, i) => {
    if (i % 2 === 0) return part;
    const c = byN.get(Number(part));
    if (!c) return `[${part}]`;
    return <a class="cite" href={citationHref(slug, c)} title={`${c.name}, page ${c.page}`} data-cite={c.n}>{`[${c.n}]`}</a>;
  });
}

export interface AnswerShape {
  answer: string;
  citations: Citation[];
  degraded: boolean;
  reason?: string | null;
  cached: boolean;
}

/** An answer: the notice when it is not the model's, the text with citation links, the sources, the cached hint. */
export function AnswerBody({ slug, a }: { slug: string; a: AnswerShape }) {
  const byN = new Map(a.citations.map((c) => [c.n, c]));
  const paragraphs = a.answer.split(/\n{2,}/).map((p) => p.trim()).filter(Boolean);
  return (
    <div class="answer" data-answer>
      {a.degraded && <p class="warn small" role="note" data-answer-degraded>{a.reason || 'This answer was not written by the language model.'}</p>}
      <div class="answer-text">
        {paragraphs.map((p) => <p>{withCitations(slug, p, byN)}</p>)}
      </div>
      {a.citations.length > 0 && (
        <div class="sources">
          <h3>Sources</h3>
          <ol>
            {a.citations.map((c) => (
              <li value={c.n} data-source={c.n}>
                <a href={citationHref(slug, c)}>{c.name}</a>
                <span class="muted">, page {c.page}</span>
                {c.quote && <q class="source-quote">{c.quote}</q>}
              </li>
            ))}
          </ol>
        </div>
      )}
      {a.cached && <p class="muted small" data-answer-cached>Answered before: this answer comes from the cache, and the documents have not changed since.</p>}
    </div>
  );
}

export interface AskScope {
  folderId?: string;
  documentId?: string;
}

/**
 * The ask box: a plain form that posts the question (the answer then shows on its thread
 * page); ask.js streams the answer into the output region instead. With `summarize`, a
 * second form beside it summarizes that document into the same region. Extra hidden
 * inputs elsewhere on the page may join the form with `form="ask-form"` (the search page
 * puts its folder filter there).
 */
export function AskBox(p: {
  slug: string;
  scope?: AskScope;
  threadId?: string;
  title?: string;
  hint?: ComponentChildren;
  label?: string;
  placeholder?: string;
  summarize?: string;
  /** After a streamed answer, open its thread (follow-ups on a thread page). */
  reload?: boolean;
}) {
  const action = `/o/${p.slug}/answers`;
  return (
    <section class="card askbox" aria-labelledby="ask-h">
      <h2 id="ask-h">{p.title ?? 'Ask your documents'}</h2>
      {p.hint && <p class="muted small">{p.hint}</p>}
      <form id="ask-form" method="post" action={action} class="askform" data-ask-form data-org={p.slug} data-stream={`/api/v1/orgs/${p.slug}/answers/stream`} data-output="ask-output" data-after={p.reload ? 'reload' : undefined}>
        <label for="ask-q" class="sr-only">{p.label ?? 'Question'}</label>
        <input id="ask-q" type="text" name="question" required maxLength={2000} autocomplete="off" placeholder={p.placeholder ?? 'Ask a question, e.g. When does the harbor close?'} />
        {p.threadId && <input type="hidden" name="threadId" value={p.threadId} />}
        {p.scope?.folderId && <input type="hidden" name="folderId" value={p.scope.folderId} />}
        {p.scope?.documentId && <input type="hidden" name="documentId" value={p.scope.documentId} />}
        <button type="submit">Ask</button>
      </form>
      {p.summarize && (
        <form method="post" action={`/o/${p.slug}/documents/${encodeURIComponent(p.summarize)}/summary`} class="askform askform--summary" data-ask-form data-org={p.slug} data-stream={`/api/v1/orgs/${p.slug}/documents/${encodeURIComponent(p.summarize)}/summary/stream`} data-output="ask-output">
          <button type="submit" class="secondary">Summarize this document</button>
        </form>
      )}
      <div id="ask-output" class="ask-output" aria-live="polite" data-ask-output></div>
      <script src="/assets/ask.js" defer></script>
    </section>
  );
}

export interface FeedbackState {
  rating: number;
  comment: string | null;
}

/** Thumbs up (helpful) or down and an optional comment on one answer; the chosen button shows as pressed. */
export function FeedbackForm({ slug, threadId, messageId, feedback, saved }: { slug: string; threadId: string; messageId: string; feedback: FeedbackState | null; saved?: boolean }) {
  const action = `/o/${slug}/answers/messages/${encodeURIComponent(messageId)}/feedback`;
  const pressed = (r: number) => (feedback?.rating === r ? 'true' : 'false');
  const id = `fb-${messageId}`;
  return (
    <form id={id} method="post" action={action} class="feedback" hx-post={action} hx-target="this" hx-swap="outerHTML" data-feedback={messageId}>
      <input type="hidden" name="threadId" value={threadId} />
      <span class="feedback-q">Was this answer helpful?</span>
      <button type="submit" name="rating" value="up" class="secondary small" aria-pressed={pressed(1)} data-rating="up">
        Helpful
      </button>
      <button type="submit" name="rating" value="down" class="secondary small" aria-pressed={pressed(-1)} data-rating="down">
        Not helpful
      </button>
      <label for={`${id}-c`} class="sr-only">Comment (optional)</label>
      <input id={`${id}-c`} name="comment" value={feedback?.comment ?? ''} maxLength={2000} placeholder="Comment (optional)" class="feedback-comment" />
      {saved && <span class="muted small" role="status">Thank you: your feedback is saved.</span>}
    </form>
  );
}

export interface ThreadMessage extends AnswerShape {
  id: string;
  question: string;
  createdAt: string;
  feedback: FeedbackState | null;
}

/** One question and its answer in a thread. */
export function MessageView({ slug, threadId, m }: { slug: string; threadId: string; m: ThreadMessage }) {
  return (
    <article class="card qa" id={`m-${m.id}`} data-message={m.id}>
      <h2 class="qa-q">{m.question}</h2>
      <p class="muted small"><ShortTime iso={m.createdAt} /></p>
      <AnswerBody slug={slug} a={m} />
      <FeedbackForm slug={slug} threadId={threadId} messageId={m.id} feedback={m.feedback} />
    </article>
  );
}

export interface ThreadSummary {
  id: string;
  title: string;
  updatedAt: string;
}

/** The asker's threads, newest first, each with a delete button. */
export function ThreadList({ slug, threads }: { slug: string; threads: ThreadSummary[] }) {
  if (!threads.length) {
    return (
      <div class="empty card">
        <p>No questions yet. Ask one above, or from the search page, a folder or a document.</p>
      </div>
    );
  }
  return (
    <ul class="threads card" data-threads>
      {threads.map((t) => (
        <li>
          <a href={threadHref(slug, t.id)} class="docname" data-thread={t.id}>{t.title}</a>
          <span class="muted small"><ShortTime iso={t.updatedAt} /></span>
          <form method="post" action={`${threadHref(slug, t.id)}/delete`} class="inline" data-confirm="Delete this conversation?">
            <button type="submit" class="danger small">Delete</button>
          </form>
        </li>
      ))}
    </ul>
  );
}

// ---- settings ----

export interface SettingsDraft {
  ollamaUrl: string;
  model: string;
  firstTokenTimeoutMs: string;
  totalTimeoutMs: string;
  monthlyTokenQuota: string;
  userQuestionsPerHour: string;
}

export interface Usage {
  month: string;
  promptTokens: number;
  completionTokens: number;
}

function NumberField({ name, label, value, hint, min, max }: { name: keyof SettingsDraft; label: string; value: string; hint?: string; min?: number; max?: number }) {
  const id = `a-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} type="number" value={value} min={min} max={max} step={1} aria-describedby={hint ? `${id}-hint` : undefined} />
      {hint && <small id={`${id}-hint`} class="hint">{hint}</small>}
    </div>
  );
}

/** The settings form: where Ollama is, the model, the time limits and the limits on use. */
export function SettingsForm({ action, d, error }: { action: string; d: SettingsDraft; error?: string }) {
  return (
    <form method="post" action={action} class="card answersettings" data-answer-settings>
      <FormError message={error} />
      <div class="field">
        <label for="a-ollamaUrl">Ollama URL</label>
        <input id="a-ollamaUrl" name="ollamaUrl" type="url" value={d.ollamaUrl} placeholder="http://127.0.0.1:11434" aria-describedby="a-ollamaUrl-hint" />
        <small id="a-ollamaUrl-hint" class="hint">The Ollama server on your network. Leave empty to answer without a language model (with the passages that match best).</small>
      </div>
      <div class="field">
        <label for="a-model">Model</label>
        <input id="a-model" name="model" value={d.model} required placeholder="llama3.2:3b" />
      </div>
      <NumberField name="firstTokenTimeoutMs" label="Time for the first words (ms)" value={d.firstTokenTimeoutMs} min={1000} max={600000} hint="Without a first word by then, the answer is made from the passages instead." />
      <NumberField name="totalTimeoutMs" label="Time for the whole answer (ms)" value={d.totalTimeoutMs} min={1000} max={1800000} />
      <NumberField name="monthlyTokenQuota" label="Monthly token quota" value={d.monthlyTokenQuota} min={0} hint="Language-model tokens the organization may use each month; empty for no limit." />
      <NumberField name="userQuestionsPerHour" label="Questions per hour per user" value={d.userQuestionsPerHour} min={1} max={10000} />
      <button type="submit">Save</button>
    </form>
  );
}

export function UsagePanel({ usage, quota }: { usage: Usage; quota: number | null }) {
  const total = usage.promptTokens + usage.completionTokens;
  return (
    <section class="card" aria-labelledby="usage-h" data-answer-usage>
      <h2 id="usage-h">Use this month ({usage.month})</h2>
      <dl class="meta">
        <dt>Prompt</dt><dd>{usage.promptTokens.toLocaleString('en')} tokens</dd>
        <dt>Answers</dt><dd>{usage.completionTokens.toLocaleString('en')} tokens</dd>
        <dt>Total</dt><dd>{total.toLocaleString('en')}{quota !== null ? ` of ${quota.toLocaleString('en')}` : ''} tokens</dd>
      </dl>
    </section>
  );
}

export interface Health {
  configured: boolean;
  ok: boolean;
  version?: string;
  modelFound?: boolean;
  details?: { family?: string; parameterSize?: string; quantization?: string };
  message: string;
  ms: number;
}

const yesNo = (v: boolean) => <span class={v ? 'health-yes' : 'health-no'}>{v ? 'Yes' : 'No'}</span>;

/** What checkOllama found: reachable, version, model installed, and the message (the error when it failed). */
export function HealthResult({ h }: { h: Health }) {
  const reachable = h.configured && h.version !== undefined;
  return (
    <div data-health={h.ok ? 'ok' : 'problem'}>
      <dl class="meta">
        <dt>Reachable</dt><dd data-health-reachable>{h.configured ? yesNo(reachable) : <span class="muted">Not configured</span>}</dd>
        <dt>Version</dt><dd data-health-version>{h.version ?? '—'}</dd>
        <dt>Model</dt><dd data-health-model>{reachable ? yesNo(!!h.modelFound) : '—'}{reachable && <span class="muted"> installed</span>}</dd>
        {h.details && <><dt>Details</dt><dd data-health-details>{[h.details.family, h.details.parameterSize, h.details.quantization].filter(Boolean).join(' · ')}</dd></>}
      </dl>
      <p class={h.ok ? 'notice small' : 'warn small'} role="status" data-health-message>{h.message}{h.configured && <span class="muted"> ({h.ms} ms)</span>}</p>
    </div>
  );
}

/**
 * The health panel. With htmx it checks on load; without, the link checks by loading the
 * page again with `check=1`. `h` is given when the check already ran.
 */
export function HealthPanel({ base, h }: { base: string; h?: Health }) {
  return (
    <section class="card" aria-labelledby="health-h">
      <h2 id="health-h">Connection</h2>
      <div id="answers-health" {...(h ? {} : { 'hx-get': `${base}/health`, 'hx-trigger': 'load' })}>
        {h ? <HealthResult h={h} /> : <p class="muted small">Checking the Ollama server…</p>}
      </div>
      <p class="small"><a href={`${base}?check=1`}>Check again</a></p>
    </section>
  );
}
