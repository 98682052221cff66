/**
 * The answers UI under `/o/:org`: the asker's threads, one thread with its answers, a
 * follow-up box and feedback, the plain-form posts behind the ask boxes and the
 * "Summarize this document" button (they land on the thread page), and the administrators'
 * answer settings with the Ollama health panel. `views/assets/ask.js` streams answers in
 * where the ask boxes are; every page works without it.
 */
import { type Context, Hono } from 'hono';
import { can } from '../../authz';
import { PageHeader } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import { readForm } from '../../platform/http/input';
import { renderFragment } from '../../platform/http/render';
import { type AppEnv, isHtmx } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { getDocument } from '../documents/document.service';
import { listFolderTree } from '../documents/folder.service';
import { tenant } from '../orgs/tenant';
import { flash, page } from '../web/shell';
import * as answers from './answer.service';
import { AskBox, FeedbackForm, HealthPanel, HealthResult, MessageView, type SettingsDraft, SettingsForm, ThreadList, threadHref, UsagePanel } from './answer.views';

type C = Context<AppEnv>;

const slugOf = (c: C) => c.get('org')!.slug;

const SAFE_ID = /^[\w-]{1,64}$/;

// ---- threads ----

async function threadsView(c: C) {
  const slug = slugOf(c);
  const threads = await answers.listThreads(c.get('ctx'), c.get('actor')!, 100);
  return page(c, { title: 'Answers', active: 'answers' }, (
    <div class="answers">
      <PageHeader title="Answers" />
      <AskBox slug={slug} hint="Answers come from the documents you can read, with a link to the page behind each statement." />
      <h2>Your questions</h2>
      <ThreadList slug={slug} threads={threads} />
    </div>
  ));
}

/** What a thread was asked about, in words, with a link. */
async function scopeNote(c: C, scope: answers.AskInput['scope'] | null) {
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = slugOf(c);
  if (scope?.documentId) {
    const d = await getDocument(ctx, actor, scope.documentId).catch(() => undefined);
    return d ? <>Asked about the document <a href={`/o/${slug}/documents/${d.id}`}>{d.name}</a>.</> : <>Asked about one document.</>;
  }
  if (scope?.folderId) {
    const f = (await listFolderTree(ctx, actor)).find((x) => x.id === scope.folderId);
    return f ? <>Asked about the folder <a href={`/o/${slug}/documents?folder=${encodeURIComponent(f.id)}`}>{f.path.join(' › ')}</a>.</> : <>Asked about one folder.</>;
  }
  return <>Asked about all the documents you can read.</>;
}

async function threadView(c: C) {
  const slug = slugOf(c);
  const t = await answers.getThread(c.get('ctx'), c.get('actor')!, c.req.param('threadId')!);
  return page(c, { title: t.title, active: 'answers' }, (
    <div class="answers">
      <p class="crumbs"><a href={`/o/${slug}/answers`}>Answers</a></p>
      <PageHeader title={t.title}>
        <form method="post" action={`${threadHref(slug, t.id)}/delete`} class="inline" data-confirm="Delete this conversation?">
          <button type="submit" class="danger small">Delete</button>
        </form>
      </PageHeader>
      <p class="muted small">{await scopeNote(c, t.scope)}</p>
      <div class="qas" data-thread-messages>
        {t.messages.map((m) => <MessageView slug={slug} threadId={t.id} m={m} />)}
      </div>
      <AskBox slug={slug} threadId={t.id} title="Ask a follow-up question" placeholder="A follow-up question" reload />
    </div>
  ));
}

/** The fields of an ask form as the service's input; empty fields are left out. */
function askOf(f: Record<string, string>): answers.AskInput {
  const scope = { ...(f.folderId ? { folderId: f.folderId } : {}), ...(f.documentId ? { documentId: f.documentId } : {}) };
  return { question: f.question ?? '', ...(f.threadId ? { threadId: f.threadId } : {}), ...(Object.keys(scope).length ? { scope } : {}) };
}

// ---- settings ----

function requireAdmin(c: C) {
  if (!can(c.get('actor')!, 'org.update')) throw new AppError('forbidden', 'Only administrators can change the answer settings.');
}

function draftOf(s: Awaited<ReturnType<typeof answers.getSettings>>): SettingsDraft {
  return {
    ollamaUrl: s.ollamaUrl ?? '', model: s.model, firstTokenTimeoutMs: String(s.firstTokenTimeoutMs), totalTimeoutMs: String(s.totalTimeoutMs),
    monthlyTokenQuota: s.monthlyTokenQuota === null ? '' : String(s.monthlyTokenQuota), userQuestionsPerHour: String(s.userQuestionsPerHour),
  };
}

const LABELS: Record<keyof SettingsDraft, string> = {
  ollamaUrl: 'Ollama URL', model: 'Model', firstTokenTimeoutMs: 'Time for the first words', totalTimeoutMs: 'Time for the whole answer',
  monthlyTokenQuota: 'Monthly token quota', userQuestionsPerHour: 'Questions per hour per user',
};
const FIELDS = Object.keys(LABELS) as (keyof SettingsDraft)[];

/** The service's "field: problem" messages with the form's labels for the fields. */
const labelled = (message: string) => message.replace(/(^|; )(\w+): /g, (m, sep: string, key: string) => (key in LABELS ? `${sep}${LABELS[key as keyof SettingsDraft]}: ` : m));

async function settingsView(c: C, opts: { draft?: SettingsDraft; error?: string } = {}) {
  requireAdmin(c);
  const ctx = c.get('ctx');
  const actor = c.get('actor')!;
  const slug = slugOf(c);
  const base = `/o/${slug}/settings/answers`;
  const s = await answers.getSettings(ctx, actor);
  // Without JavaScript the health check runs when asked for (`check=1`); with htmx the panel loads it.
  const health = c.req.query('check') === '1' ? await answers.checkOllama(ctx, actor) : undefined;
  return page(c, { title: 'Answer settings', active: 'settings', status: opts.error ? 400 : 200 }, (
    <div class="answersettings-page">
      <p class="crumbs"><a href={`/o/${slug}/settings`}>Settings</a> › Answers</p>
      <PageHeader title="Answer settings" />
      <p class="muted">Questions are answered by a language model running on your own Ollama server, from the passages of your documents that match best. Nothing leaves your network.</p>
      <SettingsForm action={base} d={opts.draft ?? draftOf(s)} error={opts.error} />
      <UsagePanel usage={s.usage} quota={s.monthlyTokenQuota} />
      <HealthPanel base={base} h={health} />
    </div>
  ));
}

/** The answers pages, mounted at `/o/:org`. Each route authenticates and resolves the organization itself. */
export function answerPages() {
  const app = new Hono<AppEnv>();
  const member = [requireUser, tenant] as const;

  app.get('/answers', ...member, (c) => threadsView(c));

  // The ask box without JavaScript: answer, then show it in its thread.
  app.post('/answers', ...member, async (c) => {
    const r = await answers.ask(c.get('ctx'), c.get('actor')!, askOf(await readForm(c)), undefined, c.req.raw.signal);
    return c.redirect(`${threadHref(slugOf(c), r.threadId)}#m-${r.messageId}`, 303);
  });

  app.get('/answers/:threadId', ...member, (c) => threadView(c));

  app.post('/answers/:threadId/delete', ...member, async (c) => {
    await answers.deleteThread(c.get('ctx'), c.get('actor')!, c.req.param('threadId'));
    flash(c, 'Conversation deleted.');
    return c.redirect(`/o/${slugOf(c)}/answers`, 303);
  });

  app.post('/answers/messages/:id/feedback', ...member, async (c) => {
    const f = await readForm(c);
    const messageId = c.req.param('id');
    await answers.giveFeedback(c.get('ctx'), c.get('actor')!, messageId, { rating: f.rating as 'up' | 'down', comment: f.comment });
    const threadId = f.threadId && SAFE_ID.test(f.threadId) ? f.threadId : '';
    if (isHtmx(c)) {
      const feedback = { rating: f.rating === 'up' ? 1 : -1, comment: f.comment?.trim() || null };
      return renderFragment(c, <FeedbackForm slug={slugOf(c)} threadId={threadId} messageId={messageId} feedback={feedback} saved />);
    }
    flash(c, 'Thank you: your feedback is saved.');
    return c.redirect(threadId ? `${threadHref(slugOf(c), threadId)}#m-${messageId}` : `/o/${slugOf(c)}/answers`, 303);
  });

  // "Summarize this document" without JavaScript.
  app.post('/documents/:id/summary', ...member, async (c) => {
    const r = await answers.summarize(c.get('ctx'), c.get('actor')!, c.req.param('id'), undefined, c.req.raw.signal);
    return c.redirect(`${threadHref(slugOf(c), r.threadId)}#m-${r.messageId}`, 303);
  });

  app.get('/settings/answers', ...member, (c) => settingsView(c));

  app.post('/settings/answers', ...member, async (c) => {
    requireAdmin(c);
    const f = await readForm(c);
    const draft = Object.fromEntries(FIELDS.map((k) => [k, (f[k] ?? '').trim()])) as unknown as SettingsDraft;
    try {
      // An empty quota means no quota (not a quota of 0).
      await answers.updateSettings(c.get('ctx'), c.get('actor')!, { ...draft, monthlyTokenQuota: draft.monthlyTokenQuota || null });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return settingsView(c, { draft, error: labelled(err.message) });
      throw err;
    }
    flash(c, 'Answer settings saved.');
    return c.redirect(`/o/${slugOf(c)}/settings/answers`, 303);
  });

  app.get('/settings/answers/health', ...member, async (c) => {
    requireAdmin(c);
    const h = await answers.checkOllama(c.get('ctx'), c.get('actor')!);
    return renderFragment(c, <HealthResult h={h} />);
  });

  return app;
}
