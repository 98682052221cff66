/**
 * Answers to questions from the organization's own documents: hybrid retrieval over what
 * the asker may read, a prompt with numbered fenced passages, a local Ollama model
 * streaming its answer, and a check that every citation names a passage given to it.
 * When Ollama is not configured, down, slow, over quota or answers something unusable,
 * the answer is extractive (the best passages' most relevant sentences) and says so.
 * Answers are cached per question, model, scope and content version of the organization.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type Actor, authorize } from '../../authz';
import { streamChat, ollamaHealth, type OllamaHealth } from '../../platform/llm/ollama';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { loadDocument } from '../documents/document.service';
import { documentPassages, contentVersion } from '../search/search.repository';
import { type RetrievedPassage, retrievePassages } from '../search/search.service';
import * as repo from './answer.repository';
import { type Citation, checkAnswer } from './citations';
import { extractiveAnswer } from './extractive';
import { buildMessages, NOT_FOUND, type Turn } from './prompt';

export const ZAsk = z.object({
  question: z.string().trim().min(1, 'Ask a question').max(2000),
  threadId: z.string().max(64).optional(),
  scope: z.object({ folderId: z.string().max(64).optional(), documentId: z.string().max(64).optional() }).strict().optional(),
});
export type AskInput = z.input<typeof ZAsk>;

export interface AnswerResult {
  answer: string;
  citations: Citation[];
  /** True when the answer did not come from the language model. */
  degraded: boolean;
  /** Why, in words, when degraded. */
  reason?: string;
  threadId: string;
  messageId: string;
  cached: boolean;
}

export type AnswerEvent =
  | { type: 'passages'; passages: { n: number; documentId: string; name: string; page: number }[] }
  | { type: 'token'; text: string }
  | { type: 'done'; result: AnswerResult };

type Emit = (e: AnswerEvent) => void;

// Passages given to the model, and at most this many from one document.
const PASSAGES = 6;
const PER_DOCUMENT = 2;
const SUMMARY_PASSAGES = 12;

export interface EffectiveSettings {
  ollamaUrl: string | null;
  model: string;
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  monthlyTokenQuota: number | null;
  userQuestionsPerHour: number;
  /** Whether the organization set its own values (otherwise the installation's defaults apply). */
  custom: boolean;
}

export async function effectiveSettings(ctx: Ctx, orgId: string): Promise<EffectiveSettings> {
  const row = await repo.findSettings(ctx.db, orgId);
  const d = ctx.config.answers;
  return {
    ollamaUrl: row?.ollama_url ?? d.ollamaUrl ?? null,
    model: row?.model ?? d.model,
    firstTokenTimeoutMs: row?.first_token_timeout_ms ?? d.firstTokenTimeoutMs,
    totalTimeoutMs: row?.total_timeout_ms ?? d.totalTimeoutMs,
    monthlyTokenQuota: row ? row.monthly_token_quota : null,
    userQuestionsPerHour: row?.user_questions_per_hour ?? 60,
    custom: !!row,
  };
}

function monthStart(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
}

function cacheKey(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** A question folded for the cache: case, spacing and trailing punctuation do not matter. */
export function normalizeQuestion(q: string): string {
  return q.toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').replace(/[\s?.!]+$/, '').trim();
}

/** Answers a question; `emit` receives the passages, the text as it streams, and the result. */
export async function ask(ctx: Ctx, actor: Actor, input: AskInput, emit: Emit = () => {}, signal?: AbortSignal): Promise<AnswerResult> {
  authorize(actor, 'document.read');
  const parsed = ZAsk.safeParse(input);
  if (!parsed.success) throw new AppError('validation_failed', parsed.error.issues.map((i) => i.message).join('; '));
  const { question } = parsed.data;
  let scope = parsed.data.scope ?? null;
  let history: Turn[] = [];
  let thread = parsed.data.threadId ? await repo.findThread(ctx.db, actor.orgId, actor.userId, parsed.data.threadId) : undefined;
  if (parsed.data.threadId && !thread) throw notFound('Thread');
  if (thread) {
    scope = thread.scope ? JSON.parse(thread.scope) : null;
    history = (await repo.listMessages(ctx.db, actor.orgId, thread.id)).map((m) => ({ question: m.question, answer: m.answer }));
  }
  if (scope?.documentId) await loadDocument(ctx, actor, scope.documentId);
  const retrievalQuery = history.length ? `${history[history.length - 1].question} ${question}` : question;
  const { passages, terms } = await retrievePassages(ctx, actor, { q: retrievalQuery, folder: scope?.folderId, document: scope?.documentId, limit: PASSAGES, perDocument: scope?.documentId ? PASSAGES : PER_DOCUMENT });
  return answerWith(ctx, actor, { kind: 'answer', question, terms, passages, scope, history, thread, emit, signal });
}

/** A summary of one document, from its passages in order. */
export async function summarize(ctx: Ctx, actor: Actor, documentId: string, emit: Emit = () => {}, signal?: AbortSignal): Promise<AnswerResult> {
  authorize(actor, 'document.read');
  const doc = await loadDocument(ctx, actor, documentId);
  const rows = await documentPassages(ctx.db, actor.orgId, doc.id, SUMMARY_PASSAGES);
  const passages: RetrievedPassage[] = rows.map((r) => ({ chunkId: Number(r.id), documentId: doc.id, name: doc.name, page: r.page, heading: r.heading, text: r.text, score: 0 }));
  return answerWith(ctx, actor, { kind: 'summary', question: `Summarize "${doc.name}"`, terms: [], passages, scope: { documentId: doc.id }, history: [], thread: undefined, emit, signal });
}

async function answerWith(
  ctx: Ctx,
  actor: Actor,
  o: { kind: 'answer' | 'summary'; question: string; terms: string[]; passages: RetrievedPassage[]; scope: { folderId?: string; documentId?: string } | null; history: Turn[]; thread: { id: string } | undefined; emit: Emit; signal?: AbortSignal },
): Promise<AnswerResult> {
  const started = performance.now();
  const now = ctx.clock.now();
  const settings = await effectiveSettings(ctx, actor.orgId);
  const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
  if ((await repo.countQuestionsSince(ctx.db, actor.orgId, actor.userId, hourAgo)) >= settings.userQuestionsPerHour) {
    throw new AppError('rate_limited', `You have asked ${settings.userQuestionsPerHour} questions in the last hour, the most allowed. Try again later.`);
  }
  o.emit({ type: 'passages', passages: o.passages.map((p, i) => ({ n: i + 1, documentId: p.documentId, name: p.name, page: p.page })) });

  let result: Omit<AnswerResult, 'threadId' | 'messageId'>;
  let usage = { prompt: 0, completion: 0, model: null as string | null };
  const version = await contentVersion(ctx.db, actor.orgId);
  const key = cacheKey([actor.orgId, o.kind, normalizeQuestion(o.question), settings.model, o.scope ?? {}, o.history.map((h) => normalizeQuestion(h.question))]);
  const degrade = (reason: string) => {
    const ex = o.kind === 'summary' ? extractiveSummary(o.passages) : extractiveAnswer(o.question, o.terms, o.passages);
    return { ...ex, degraded: true, reason, cached: false };
  };
  const cached = settings.ollamaUrl ? await repo.findCached(ctx.db, actor.orgId, key, version) : undefined;
  if (cached) {
    result = { ...(JSON.parse(cached.result) as { answer: string; citations: Citation[] }), degraded: false, cached: true };
    o.emit({ type: 'token', text: result.answer });
  } else if (!o.passages.length) {
    result = { answer: o.kind === 'summary' ? 'This document has no text to summarize.' : NOT_FOUND, citations: [], degraded: false, cached: false };
  } else if (!settings.ollamaUrl) {
    result = degrade('No language model is configured, so these are the passages that match best.');
  } else if (settings.monthlyTokenQuota !== null && sumTokens(await repo.tokensSince(ctx.db, actor.orgId, monthStart(now))) >= settings.monthlyTokenQuota) {
    result = degrade(`Your organization has used its ${settings.monthlyTokenQuota.toLocaleString('en')} language-model tokens for this month, so these are the passages that match best.`);
  } else {
    const outcome = await streamChat({
      url: settings.ollamaUrl, model: settings.model, messages: buildMessages(o.kind, o.passages, o.question, o.history),
      firstTokenTimeoutMs: settings.firstTokenTimeoutMs, totalTimeoutMs: settings.totalTimeoutMs, signal: o.signal,
      onToken: (text) => o.emit({ type: 'token', text }),
    });
    if (outcome.kind === 'failed') {
      if (outcome.reason === 'aborted') throw new AppError('bad_request', outcome.message);
      ctx.log.warn({ reason: outcome.reason, message: outcome.message }, 'language model unavailable; extractive answer');
      result = degrade(`${outcome.message} These are the passages that match best.`);
    } else {
      usage = { prompt: outcome.promptTokens, completion: outcome.completionTokens, model: outcome.model };
      const checked = checkAnswer(outcome.text, o.passages);
      if (checked.problem) {
        ctx.log.warn({ problem: checked.problem }, 'model answer rejected; extractive answer');
        result = degrade(`The language model's answer could not be checked against the documents (${checked.problem}). These are the passages that match best.`);
      } else {
        result = { answer: checked.answer, citations: checked.citations, degraded: false, cached: false };
      }
    }
  }

  const stamp = ctx.clock.now().toISOString();
  const threadId = o.thread?.id ?? newId();
  const messageId = newId();
  await ctx.db.transaction().execute(async (trx) => {
    if (!o.thread) {
      await repo.insertThread(trx, { id: threadId, org_id: actor.orgId, user_id: actor.userId, title: o.question.slice(0, 120), scope: o.scope ? JSON.stringify(o.scope) : null, created_at: stamp, updated_at: stamp });
    } else await repo.touchThread(trx, actor.orgId, threadId, stamp);
    await repo.insertMessage(trx, {
      id: messageId, org_id: actor.orgId, thread_id: threadId, user_id: actor.userId, question: o.question, answer: result.answer, citations: JSON.stringify(result.citations),
      degraded: result.degraded ? 1 : 0, reason: result.reason ?? null, model: usage.model, prompt_tokens: usage.prompt, completion_tokens: usage.completion,
      cached: result.cached ? 1 : 0, took_ms: Math.round(performance.now() - started), created_at: stamp,
    });
    if (!result.degraded && !result.cached && usage.model) {
      await repo.saveCached(trx, { key, org_id: actor.orgId, content_version: version, result: JSON.stringify({ answer: result.answer, citations: result.citations }), created_at: stamp });
    }
  });
  const final: AnswerResult = { ...result, threadId, messageId };
  o.emit({ type: 'done', result: final });
  return final;
}

const sumTokens = (t: { prompt: number; completion: number }) => t.prompt + t.completion;

function extractiveSummary(passages: RetrievedPassage[]): { answer: string; citations: Citation[] } {
  const picked = passages.slice(0, 5);
  const citations: Citation[] = [];
  const lines = picked.map((p, i) => {
    const first = p.text.split(/(?<=[.!?])\s+/)[0]?.slice(0, 400) ?? p.text.slice(0, 400);
    citations.push({ n: i + 1, documentId: p.documentId, name: p.name, page: p.page, quote: first });
    return `${p.heading ? `${p.heading}: ` : ''}${first} [${i + 1}]`;
  });
  return { answer: lines.join('\n\n'), citations };
}

// ---- threads and feedback ----

export async function listThreads(ctx: Ctx, actor: Actor, limit = 50) {
  authorize(actor, 'document.read');
  const rows = await repo.listThreads(ctx.db, actor.orgId, actor.userId, Math.min(200, Math.max(1, limit)));
  return rows.map((t) => ({ id: t.id, title: t.title, scope: t.scope ? JSON.parse(t.scope) : null, createdAt: t.created_at, updatedAt: t.updated_at }));
}

/** A thread of the asker with its questions and answers. Another user's thread is not found. */
export async function getThread(ctx: Ctx, actor: Actor, id: string) {
  authorize(actor, 'document.read');
  const t = await repo.findThread(ctx.db, actor.orgId, actor.userId, id);
  if (!t) throw notFound('Thread');
  const messages = await repo.listMessages(ctx.db, actor.orgId, t.id);
  const feedback = new Map((await repo.feedbackOf(ctx.db, actor.orgId, messages.map((m) => m.id))).filter((f) => f.user_id === actor.userId).map((f) => [f.message_id, f]));
  return {
    id: t.id, title: t.title, scope: t.scope ? JSON.parse(t.scope) : null, createdAt: t.created_at, updatedAt: t.updated_at,
    messages: messages.map((m) => ({
      id: m.id, question: m.question, answer: m.answer, citations: JSON.parse(m.citations) as Citation[], degraded: m.degraded === 1, reason: m.reason,
      cached: m.cached === 1, createdAt: m.created_at, feedback: feedback.has(m.id) ? { rating: feedback.get(m.id)!.rating, comment: feedback.get(m.id)!.comment } : null,
    })),
  };
}

export async function deleteThread(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'document.read');
  if (!(await repo.deleteThread(ctx.db, actor.orgId, actor.userId, id))) throw notFound('Thread');
}

export const ZFeedback = z.object({ rating: z.union([z.literal(1), z.literal(-1), z.enum(['up', 'down'])]).transform((r) => (r === 'up' ? 1 : r === 'down' ? -1 : r)), comment: z.string().trim().max(2000).optional() });

/** Thumbs up or down on an answer the actor received, with an optional comment. */
export async function giveFeedback(ctx: Ctx, actor: Actor, messageId: string, input: z.input<typeof ZFeedback>): Promise<void> {
  authorize(actor, 'document.read');
  const parsed = ZFeedback.safeParse(input);
  if (!parsed.success) throw new AppError('validation_failed', 'Feedback is a rating of up or down (1 or -1) with an optional comment of at most 2000 characters.');
  const m = await repo.findMessage(ctx.db, actor.orgId, actor.userId, messageId);
  if (!m) throw notFound('Answer');
  await repo.saveFeedback(ctx.db, { message_id: m.id, user_id: actor.userId, org_id: actor.orgId, rating: parsed.data.rating, comment: parsed.data.comment || null, created_at: ctx.clock.now().toISOString() });
}

// ---- settings (admins) ----

export const ZLlmSettings = z
  .object({
    ollamaUrl: z.union([z.null(), z.literal(''), z.url({ protocol: /^https?$/ })]).transform((v) => v || null),
    model: z.string().trim().min(1).max(200).regex(/^[\w.:/-]+$/, 'a model name such as llama3.2:3b'),
    firstTokenTimeoutMs: z.coerce.number().int().min(1000).max(600_000),
    totalTimeoutMs: z.coerce.number().int().min(1000).max(1_800_000),
    monthlyTokenQuota: z.union([z.null(), z.literal(''), z.coerce.number().int().min(0).max(1e12)]).transform((v) => (v === '' || v === null ? null : v)),
    userQuestionsPerHour: z.coerce.number().int().min(1).max(10_000),
  })
  .strict();

export async function getSettings(ctx: Ctx, actor: Actor) {
  authorize(actor, 'org.update');
  const s = await effectiveSettings(ctx, actor.orgId);
  const now = ctx.clock.now();
  const month = await repo.tokensSince(ctx.db, actor.orgId, monthStart(now));
  return { ...s, usage: { month: monthStart(now).slice(0, 7), promptTokens: month.prompt, completionTokens: month.completion } };
}

export async function updateSettings(ctx: Ctx, actor: Actor, input: unknown) {
  authorize(actor, 'org.update');
  const parsed = ZLlmSettings.safeParse(input);
  if (!parsed.success) throw new AppError('validation_failed', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const v = parsed.data;
  if (v.totalTimeoutMs < v.firstTokenTimeoutMs) throw new AppError('validation_failed', 'The total time limit must not be shorter than the time allowed for the first words.');
  await ctx.db.transaction().execute(async (trx) => {
    await repo.saveSettings(trx, {
      org_id: actor.orgId, ollama_url: v.ollamaUrl, model: v.model, first_token_timeout_ms: v.firstTokenTimeoutMs, total_timeout_ms: v.totalTimeoutMs,
      monthly_token_quota: v.monthlyTokenQuota, user_questions_per_hour: v.userQuestionsPerHour, updated_at: ctx.clock.now().toISOString(),
    });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'answers.settings_changed', orgId: actor.orgId, actorId: actor.userId, targetType: 'org', targetId: actor.orgId, data: { ollamaUrl: v.ollamaUrl, model: v.model } });
  });
  return getSettings(ctx, actor);
}

/** Whether the organization's Ollama answers and has its model (admin area). */
export async function checkOllama(ctx: Ctx, actor: Actor): Promise<OllamaHealth & { configured: boolean }> {
  authorize(actor, 'org.update');
  const s = await effectiveSettings(ctx, actor.orgId);
  if (!s.ollamaUrl) return { configured: false, ok: false, message: 'No Ollama server is configured; answers are extractive.', ms: 0 };
  return { configured: true, ...(await ollamaHealth(s.ollamaUrl, s.model)) };
}
