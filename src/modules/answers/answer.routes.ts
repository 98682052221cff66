import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { requireUser } from '../../platform/http/auth';
import { readJson, validate } from '../../platform/http/input';
import type { AppEnv } from '../../platform/http/types';
import { AppError } from '../../shared/errors';
import { tenant } from '../orgs/tenant';
import * as answers from './answer.service';
import type { AnswerEvent, AnswerResult } from './answer.service';

type C = Context<AppEnv>;
type Run = (emit: (e: AnswerEvent) => void, signal: AbortSignal) => Promise<AnswerResult>;

/** An AbortSignal that fires when the client goes away (the model call stops with it). */
function clientSignal(c: C): AbortController {
  const controller = new AbortController();
  const request = c.req.raw.signal;
  if (request.aborted) controller.abort();
  else request.addEventListener('abort', () => controller.abort(), { once: true });
  return controller;
}

function sseOf(e: AnswerEvent): { event: string; data: string } {
  if (e.type === 'passages') return { event: 'passages', data: JSON.stringify({ passages: e.passages }) };
  if (e.type === 'token') return { event: 'token', data: JSON.stringify({ text: e.text }) };
  return { event: 'done', data: JSON.stringify(e.result) };
}

/**
 * Streams an answer as server-sent events: `passages`, `token`s, then `done` with the
 * result, or `error` with `{code, message}`. The response starts with the first event, so
 * what fails before anything is found (a bad scope, an unknown thread, the hourly limit)
 * is a plain error response with its status. The model call is aborted when the client
 * disconnects.
 */
async function streamAnswer(c: C, run: Run): Promise<Response> {
  const controller = clientSignal(c);
  const pending: AnswerEvent[] = [];
  let deliver: ((e: AnswerEvent) => void) | undefined;
  let started!: () => void;
  const first = new Promise<void>((resolve) => (started = resolve));
  const work = run((e) => {
    if (deliver) deliver(e);
    else {
      pending.push(e);
      started();
    }
  }, controller.signal);
  await Promise.race([first, work]);

  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => controller.abort());
    let chain = Promise.resolve();
    const write = (msg: { event: string; data: string }) => {
      chain = chain.then(() => stream.writeSSE(msg));
    };
    for (const e of pending) write(sseOf(e));
    deliver = (e) => write(sseOf(e));
    try {
      await work;
    } catch (err) {
      if (!controller.signal.aborted) {
        const known = err instanceof AppError && err.code !== 'internal_error';
        if (!known) c.get('log').error({ err }, 'answer stream failed');
        const body = known ? { code: err.code, message: err.message } : { code: 'internal_error', message: 'Something went wrong on our side. The error has been logged.' };
        write({ event: 'error', data: JSON.stringify(body) });
      }
    }
    await chain;
  });
}

/** The body of a question: the service's input, checked here so a bad one is a 400 with its fields. */
async function askInput(c: C): Promise<answers.AskInput> {
  return validate(answers.ZAsk, await readJson(c));
}

/**
 * JSON API under `/api/v1/orgs/:org`: answers (whole or streamed), summaries of a document,
 * the asker's threads and feedback, and the organization's answer settings (administrators).
 */
export function answerRoutes() {
  const app = new Hono<AppEnv>();
  const member = [requireUser, tenant] as const;
  const ctx = (c: C) => c.get('ctx');
  const actor = (c: C) => c.get('actor')!;

  app.post('/answers', ...member, async (c) => {
    const input = await askInput(c);
    return c.json(await answers.ask(ctx(c), actor(c), input, undefined, clientSignal(c).signal));
  });

  app.post('/answers/stream', ...member, async (c) => {
    const input = await askInput(c);
    return streamAnswer(c, (emit, signal) => answers.ask(ctx(c), actor(c), input, emit, signal));
  });

  app.post('/documents/:id/summary', ...member, async (c) => c.json(await answers.summarize(ctx(c), actor(c), c.req.param('id'), undefined, clientSignal(c).signal)));

  app.post('/documents/:id/summary/stream', ...member, (c) => streamAnswer(c, (emit, signal) => answers.summarize(ctx(c), actor(c), c.req.param('id'), emit, signal)));

  app.get('/answers/threads', ...member, async (c) => {
    const { limit } = validate(z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }), c.req.query());
    return c.json({ threads: await answers.listThreads(ctx(c), actor(c), limit) });
  });

  app.get('/answers/threads/:id', ...member, async (c) => c.json(await answers.getThread(ctx(c), actor(c), c.req.param('id'))));

  app.delete('/answers/threads/:id', ...member, async (c) => {
    await answers.deleteThread(ctx(c), actor(c), c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/answers/messages/:id/feedback', ...member, async (c) => {
    await answers.giveFeedback(ctx(c), actor(c), c.req.param('id'), (await readJson(c)) as z.input<typeof answers.ZFeedback>);
    return c.body(null, 204);
  });

  app.get('/settings/answers', ...member, async (c) => c.json(await answers.getSettings(ctx(c), actor(c))));

  app.put('/settings/answers', ...member, async (c) => c.json(await answers.updateSettings(ctx(c), actor(c), await readJson(c))));

  app.get('/settings/answers/health', ...member, async (c) => c.json(await answers.checkOllama(ctx(c), actor(c))));

  return app;
}
