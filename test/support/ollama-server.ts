/**
 * A small HTTP server that answers like a local Ollama (the parts Folio uses: /api/chat
 * streamed and not, /api/tags, /api/show, /api/version, GET /), so tests and benchmarks run
 * the real `ollama` client against it without a model. Replies, delays and failures are set
 * per server and can change between requests.
 *
 * Wire details copied from Ollama: streamed chat is NDJSON (`application/x-ndjson`), one
 * object per line, each content chunk `{model, created_at, message, done: false}` and a final
 * `done: true` chunk with empty content, `done_reason` and counts, durations in nanoseconds;
 * `stream: false` returns one such object with the whole reply; errors are JSON
 * `{"error": "..."}`; model names without a tag mean `:latest`; `options.num_predict` caps
 * the reply (`done_reason: 'length'`); a chat with no messages only loads the model
 * (`done_reason: 'load'`).
 *
 * Manual run: `node --import tsx test/support/ollama-server.ts --port 11434 --delay 50`
 * (also `--first-token <ms>`, `--models a,b`, `--behaviour hang|malformed|error|truncated`).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

export interface FakeChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  options?: Record<string, unknown>;
  format?: unknown;
}

export interface FakeOllamaOptions {
  /** Models the server has pulled. Default `['llama3.2:3b']`. */
  models?: string[];
  /** The assistant's reply to a chat request (default: a fixed sentence). May be async. */
  reply?: (req: FakeChatRequest) => string | Promise<string>;
  /** Delay before the first streamed chunk (the whole answer, unstreamed), in ms. Default 0. */
  firstTokenDelayMs?: number;
  /** Delay between streamed chunks, in ms. Default 0. */
  tokenDelayMs?: number;
  /**
   * How chat requests are answered (the other endpoints always answer normally):
   * - normal: the reply, cut into chunks by words, each chunk keeping its leading spaces;
   * - hang: headers are sent, then nothing until the client gives up or the server stops;
   * - malformed: lines that are not JSON, then the response ends;
   * - error: HTTP 500 `{"error": FAKE_OLLAMA_ERROR}`;
   * - truncated: the first half of the chunks, then the response ends without a done chunk
   *   (unstreamed: half a JSON object).
   */
  behaviour?: 'normal' | 'hang' | 'malformed' | 'error' | 'truncated';
  /** Port to listen on (127.0.0.1 only). Default 0: any free port. */
  port?: number;
}

export interface FakeOllama {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request received, in order, its body parsed as JSON when it is JSON. */
  requests: { method: string; path: string; body: any }[];
  /** Changes options for the requests that follow. */
  set(options: Partial<FakeOllamaOptions>): void;
  /** Closes the server and every open connection; afterwards connections are refused. */
  stop(): Promise<void>;
}

/** The message a chat gets under `behaviour: 'error'` (a real Ollama failure). */
export const FAKE_OLLAMA_ERROR = 'llama runner process has terminated: exit status 2';

/** The version `/api/version` reports. */
export const FAKE_OLLAMA_VERSION = '0.12.6';

/** The default reply. */
export const FAKE_OLLAMA_REPLY = 'This is a reply from the test model, based on the passages provided.';

/** Ollama treats a model name without a tag as `<name>:latest`. */
function normalizeModel(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/**
 * Cuts a reply into chunks the way a model streams tokens: one word per chunk with the
 * whitespace before it; whitespace after the last word goes with the last chunk. Joined,
 * the chunks give the reply back exactly.
 */
export function splitReply(reply: string): string[] {
  const chunks: string[] = [...(reply.match(/\s*\S+/g) ?? [])];
  const rest = reply.slice(chunks.join('').length);
  if (rest) {
    if (chunks.length) chunks[chunks.length - 1] += rest;
    else chunks.push(rest);
  }
  return chunks;
}

/** A deterministic stand-in for the tokenizer: words of all messages × 1.3, rounded. */
export function countPromptTokens(messages: { content?: unknown }[]): number {
  let words = 0;
  for (const m of messages) {
    if (typeof m.content === 'string') words += m.content.split(/\s+/).filter(Boolean).length;
  }
  return Math.round(words * 1.3);
}

function digestOf(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function detailsOf(name: string) {
  const family = name.split(/[:.\d]/)[0] || 'llama';
  const size = /:(\d+(?:\.\d+)?)b/i.exec(name)?.[1];
  return {
    parent_model: '',
    format: 'gguf',
    family,
    families: [family],
    parameter_size: size ? `${size}B` : '3.2B',
    quantization_level: 'Q4_K_M',
  };
}

const MODIFIED_AT = '2025-01-15T10:20:30.123456789Z';

function tagOf(name: string) {
  return {
    name,
    model: name,
    modified_at: MODIFIED_AT,
    size: 2_019_393_189,
    digest: digestOf(name),
    details: detailsOf(name),
  };
}

function showOf(name: string) {
  const details = detailsOf(name);
  const template =
    '<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n';
  const parameters = 'stop                           "<|start_header_id|>"\nstop                           "<|end_header_id|>"\nstop                           "<|eot_id|>"';
  return {
    license: 'Test model license',
    modelfile: `# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM ${name}\n\nFROM /root/.ollama/models/blobs/sha256-${digestOf(name)}\nTEMPLATE """${template}"""\nPARAMETER stop <|start_header_id|>\nPARAMETER stop <|end_header_id|>\nPARAMETER stop <|eot_id|>\n`,
    parameters,
    template,
    details,
    model_info: {
      'general.architecture': details.family,
      'general.parameter_count': 3_212_749_888,
      'general.quantization_version': 2,
      [`${details.family}.context_length`]: 131_072,
      [`${details.family}.embedding_length`]: 3072,
    },
    tensors: [],
    capabilities: ['completion', 'tools'],
    modified_at: MODIFIED_AT,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

const nanos = (ms: number) => Math.round(ms * 1e6);

/** The model is always already loaded: a fixed, small load time (ns). */
const LOAD_DURATION_NS = 45_000;

/** Starts a fake Ollama on 127.0.0.1. */
export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  let current: FakeOllamaOptions = { ...options };
  const requests: FakeOllama['requests'] = [];
  const sockets = new Set<Socket>();
  // Aborted on stop() so pending delays and hanging answers end at once.
  const stopping = new AbortController();

  const models = () => (current.models ?? ['llama3.2:3b']).map(normalizeModel);

  async function chat(req: IncomingMessage, res: ServerResponse, body: any): Promise<void> {
    const started = performance.now();
    if (!body || typeof body !== 'object' || typeof body.model !== 'string' || !body.model) {
      return sendJson(res, 400, { error: 'model is required' });
    }
    const model: string = body.model;
    if (!models().includes(normalizeModel(model))) {
      return sendJson(res, 404, { error: `model '${model}' not found` });
    }
    const stream = body.stream !== false;
    const messages: FakeChatRequest['messages'] = Array.isArray(body.messages) ? body.messages : [];
    const o = { ...current };
    const behaviour = o.behaviour ?? 'normal';

    // Ends pending delays when the client goes away or the server stops.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, stopping.signal]);
    const wait = async (ms: number) => {
      if (ms > 0) await sleep(ms, undefined, { signal });
      if (signal.aborted) throw signal.reason;
    };
    const contentType = stream ? 'application/x-ndjson' : 'application/json; charset=utf-8';
    const createdAt = () => new Date().toISOString();
    const line = (value: unknown) => res.write(`${JSON.stringify(value)}\n`);

    if (behaviour === 'error') return sendJson(res, 500, { error: FAKE_OLLAMA_ERROR });
    if (behaviour === 'hang') {
      res.writeHead(200, { 'Content-Type': contentType });
      res.flushHeaders();
      return;
    }
    if (messages.length === 0) {
      return sendJson(res, 200, {
        model, created_at: createdAt(), message: { role: 'assistant', content: '' }, done_reason: 'load', done: true,
      });
    }

    const reply = await (o.reply ?? (() => FAKE_OLLAMA_REPLY))({
      model, messages, options: body.options, format: body.format,
    });
    let chunks = splitReply(reply);
    let doneReason = 'stop';
    const limit = Number(body.options?.num_predict);
    if (Number.isInteger(limit) && limit > 0 && chunks.length > limit) {
      chunks = chunks.slice(0, limit);
      doneReason = 'length';
    }
    const firstDelay = o.firstTokenDelayMs ?? 0;
    const tokenDelay = o.tokenDelayMs ?? 0;
    const promptEvalCount = countPromptTokens(messages);
    const stats = (firstTokenAt: number, now = performance.now()) => ({
      done_reason: doneReason,
      done: true,
      total_duration: nanos(now - started),
      load_duration: LOAD_DURATION_NS,
      prompt_eval_count: promptEvalCount,
      prompt_eval_duration: Math.max(0, nanos(firstTokenAt - started) - LOAD_DURATION_NS),
      eval_count: chunks.length,
      eval_duration: nanos(now - firstTokenAt),
    });

    if (behaviour === 'malformed') {
      res.writeHead(200, { 'Content-Type': contentType });
      await wait(firstDelay);
      res.write('<html><body>502 Bad Gateway</body></html>\n');
      res.write(`{"model":"${model}","created_at":\n`);
      res.end('not json at all\n');
      return;
    }

    if (!stream) {
      await wait(firstDelay + tokenDelay * Math.max(0, chunks.length - 1));
      const firstTokenAt = started + firstDelay;
      const whole = {
        model, created_at: createdAt(), message: { role: 'assistant', content: chunks.join('') }, ...stats(firstTokenAt),
      };
      if (behaviour === 'truncated') {
        const text = JSON.stringify(whole);
        res.writeHead(200, { 'Content-Type': contentType });
        res.end(text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      return sendJson(res, 200, whole);
    }

    res.writeHead(200, { 'Content-Type': contentType });
    const sent = behaviour === 'truncated' ? chunks.slice(0, Math.floor(chunks.length / 2)) : chunks;
    let firstTokenAt = performance.now();
    for (let i = 0; i < sent.length; i++) {
      await wait(i === 0 ? firstDelay : tokenDelay);
      if (i === 0) firstTokenAt = performance.now();
      line({ model, created_at: createdAt(), message: { role: 'assistant', content: sent[i] }, done: false });
    }
    if (behaviour === 'truncated') {
      res.end();
      return;
    }
    if (sent.length === 0) {
      await wait(firstDelay);
      firstTokenAt = performance.now();
    }
    line({ model, created_at: createdAt(), message: { role: 'assistant', content: '' }, ...stats(firstTokenAt) });
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const text = await readBody(req);
    let body: any;
    let invalid = false;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        invalid = true;
      }
    }
    requests.push({ method: req.method ?? 'GET', path, body });
    const method = req.method ?? 'GET';

    if ((method === 'GET' || method === 'HEAD') && path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : 'Ollama is running');
      return;
    }
    if (method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: FAKE_OLLAMA_VERSION });
    if (method === 'GET' && path === '/api/tags') return sendJson(res, 200, { models: models().map(tagOf) });
    if (method === 'POST' && (path === '/api/show' || path === '/api/chat')) {
      if (invalid) return sendJson(res, 400, { error: 'invalid character in request body' });
      if (path === '/api/chat') return chat(req, res, body);
      const name = typeof body?.model === 'string' ? body.model : typeof body?.name === 'string' ? body.name : '';
      if (!models().includes(normalizeModel(name))) return sendJson(res, 404, { error: `model '${name}' not found` });
      return sendJson(res, 200, showOf(normalizeModel(name)));
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A delay cut short by the client leaving or by stop(): nothing more to say.
      if (stopping.signal.aborted || res.destroyed || res.writableEnded) {
        if (!res.writableEnded) res.destroy();
        return;
      }
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(current.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    set(next) {
      current = { ...current, ...next };
    },
    async stop() {
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function parseArgs(argv: string[]): FakeOllamaOptions {
  const options: FakeOllamaOptions = { port: 11434 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--port': options.port = Number(value); i++; break;
      case '--delay': options.tokenDelayMs = Number(value); i++; break;
      case '--first-token': options.firstTokenDelayMs = Number(value); i++; break;
      case '--models': options.models = value.split(','); i++; break;
      case '--behaviour': options.behaviour = value as FakeOllamaOptions['behaviour']; i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startFakeOllama(parseArgs(process.argv.slice(2)));
  console.log(`fake Ollama listening on ${server.url}`);
  const shutdown = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
