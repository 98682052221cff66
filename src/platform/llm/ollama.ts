/**
 * Ollama over its HTTP API (`/api/chat` streamed as NDJSON, `/api/tags`, `/api/show`,
 * `/api/version`) through the `ollama` client. Every call is bounded: no first text within
 * `firstTokenTimeoutMs`, or no end within `totalTimeoutMs`, aborts the request. Failures are
 * returned as values with a reason, never thrown, so callers can fall back.
 */
import { Ollama } from 'ollama';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export type ChatOutcome =
  | { kind: 'ok'; text: string; promptTokens: number; completionTokens: number; model: string }
  | { kind: 'failed'; reason: 'down' | 'timeout' | 'error' | 'malformed' | 'aborted'; message: string; text: string };

export interface ChatRequest {
  url: string;
  model: string;
  messages: ChatMessage[];
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  signal?: AbortSignal;
  onToken?: (text: string) => void;
}

function client(url: string, signal: AbortSignal) {
  return new Ollama({ host: url, fetch: (input, init) => fetch(input, { ...init, signal }) });
}

function classify(err: unknown, timedOut: string | null, signal?: AbortSignal): ChatOutcome & { kind: 'failed' } {
  const e = err as { name?: string; message?: string; cause?: { code?: string }; status_code?: number };
  if (timedOut) return { kind: 'failed', reason: 'timeout', message: timedOut, text: '' };
  if (signal?.aborted) return { kind: 'failed', reason: 'aborted', message: 'The question was cancelled.', text: '' };
  const code = e?.cause?.code ?? '';
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|UND_ERR_SOCKET/.test(code) || /fetch failed/i.test(e?.message ?? '')) {
    return { kind: 'failed', reason: 'down', message: 'The language model server cannot be reached.', text: '' };
  }
  if (e instanceof SyntaxError || /JSON|did not receive done/i.test(e?.message ?? '')) return { kind: 'failed', reason: 'malformed', message: 'The language model server sent a reply Folio cannot read.', text: '' };
  return { kind: 'failed', reason: 'error', message: `The language model server refused the request: ${(e?.message ?? String(err)).slice(0, 200)}`, text: '' };
}

/** Streams one chat completion; `onToken` gets each piece of text as it arrives. */
export async function streamChat(req: ChatRequest): Promise<ChatOutcome> {
  const controller = new AbortController();
  const abortFromCaller = () => controller.abort();
  req.signal?.addEventListener('abort', abortFromCaller, { once: true });
  let timedOut: string | null = null;
  const fire = (why: string) => {
    timedOut ??= why;
    controller.abort();
  };
  const total = setTimeout(() => fire(`The language model did not finish within ${Math.round(req.totalTimeoutMs / 1000)} s.`), req.totalTimeoutMs);
  let first: NodeJS.Timeout | undefined = setTimeout(() => fire(`The language model did not start answering within ${Math.round(req.firstTokenTimeoutMs / 1000)} s.`), req.firstTokenTimeoutMs);
  let text = '';
  try {
    const stream = await client(req.url, controller.signal).chat({ model: req.model, messages: req.messages, stream: true, options: { temperature: 0.1 } });
    for await (const part of stream) {
      if (timedOut) break;
      const piece = part?.message?.content;
      if (typeof piece !== 'string') return { kind: 'failed', reason: 'malformed', message: 'The language model server sent a reply Folio cannot read.', text };
      if (piece) {
        if (first) {
          clearTimeout(first);
          first = undefined;
        }
        text += piece;
        req.onToken?.(piece);
      }
      if (part.done) {
        return { kind: 'ok', text, promptTokens: Number(part.prompt_eval_count) || 0, completionTokens: Number(part.eval_count) || 0, model: part.model || req.model };
      }
    }
    if (timedOut) return { kind: 'failed', reason: 'timeout', message: timedOut, text };
    return { kind: 'failed', reason: 'malformed', message: 'The language model server ended its reply early.', text };
  } catch (err) {
    return { ...classify(err, timedOut, req.signal), text };
  } finally {
    clearTimeout(total);
    if (first) clearTimeout(first);
    req.signal?.removeEventListener('abort', abortFromCaller);
  }
}

export interface OllamaHealth {
  ok: boolean;
  version?: string;
  models?: string[];
  /** Whether the configured model is installed on the server. */
  modelFound?: boolean;
  /** The installed model's family, size and quantization, from `/api/show`. */
  details?: { family?: string; parameterSize?: string; quantization?: string };
  message: string;
  ms: number;
}

/** Reachability, version and installed models of an Ollama server (for the admin area). */
export async function ollamaHealth(url: string, model: string, timeoutMs = 5_000): Promise<OllamaHealth> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const ms = () => Math.round(performance.now() - started);
  try {
    const c = client(url, signal);
    const [{ version }, tags] = await Promise.all([c.version(), c.list()]);
    const models = tags.models.map((m) => m.name);
    const modelFound = models.some((m) => m === model || m === `${model}:latest`);
    const shown = modelFound ? await c.show({ model }).catch(() => null) : null;
    const details = shown?.details ? { family: shown.details.family, parameterSize: shown.details.parameter_size, quantization: shown.details.quantization_level } : undefined;
    return { ok: modelFound, version, models, modelFound, details, message: modelFound ? `Ollama ${version} answers; ${model} is installed.` : `Ollama ${version} answers, but ${model} is not installed (run: ollama pull ${model}).`, ms: ms() };
  } catch (err) {
    const why = signal.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : classify(err, null).message;
    return { ok: false, message: `Ollama at ${url}: ${why}`, ms: ms() };
  }
}
