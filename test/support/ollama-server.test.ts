import { Ollama, type ChatResponse } from 'ollama';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FAKE_OLLAMA_ERROR,
  FAKE_OLLAMA_REPLY,
  FAKE_OLLAMA_VERSION,
  splitReply,
  startFakeOllama,
  type FakeOllama,
} from './ollama-server';

const question = [
  { role: 'system', content: 'Answer from the passages only.' },
  { role: 'user', content: 'When is the invoice due?' },
];

async function collect(stream: AsyncIterable<ChatResponse>): Promise<ChatResponse[]> {
  const parts: ChatResponse[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('fake Ollama server', () => {
  let server: FakeOllama;
  let client: Ollama;

  beforeEach(async () => {
    server = await startFakeOllama();
    client = new Ollama({ host: server.url });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await server.stop();
  });

  it('listens on 127.0.0.1 and says it is running', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(server.url);
    expect(await res.text()).toBe('Ollama is running');
  });

  it('streams the reply word by word as NDJSON, then a done chunk with counts', async () => {
    const reply = 'The invoice is due on 3 March 2025.';
    server.set({ reply: () => reply });
    const parts = await collect(await client.chat({ model: 'llama3.2:3b', messages: question, stream: true }));

    const content = parts.filter((p) => !p.done);
    expect(content.map((p) => p.message.content)).toEqual(['The', ' invoice', ' is', ' due', ' on', ' 3', ' March', ' 2025.']);
    for (const p of content) {
      expect(p.model).toBe('llama3.2:3b');
      expect(p.message.role).toBe('assistant');
      expect(Number.isNaN(Date.parse(String(p.created_at)))).toBe(false);
    }
    const done = parts.at(-1)!;
    expect(parts.filter((p) => p.done)).toHaveLength(1);
    expect(done).toMatchObject({
      model: 'llama3.2:3b',
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      // 5 + 5 words, × 1.3
      prompt_eval_count: 13,
      eval_count: 8,
    });
    for (const key of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'] as const) {
      expect(Number.isInteger(done[key])).toBe(true);
      expect(done[key]).toBeGreaterThanOrEqual(0);
    }
    expect(done.total_duration).toBeGreaterThanOrEqual(done.eval_duration);
  });

  it('sends the streamed answer with the NDJSON content type, one object per line', async () => {
    const res = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:3b', messages: question }),
    });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text()).split('\n');
    expect(lines.at(-1)).toBe('');
    const objects = lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(objects.map((o) => o.message.content).join('')).toBe(FAKE_OLLAMA_REPLY);
    expect(objects.at(-1).done).toBe(true);
  });

  it('answers an unstreamed chat with one object holding the whole reply', async () => {
    const res = await client.chat({ model: 'llama3.2:3b', messages: question, stream: false });
    expect(res).toMatchObject({
      model: 'llama3.2:3b',
      message: { role: 'assistant', content: FAKE_OLLAMA_REPLY },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 13,
      eval_count: splitReply(FAKE_OLLAMA_REPLY).length,
    });
  });

  it('passes the request to the reply function and records every request', async () => {
    const reply = vi.fn(async () => '{"due":"2025-03-03"}');
    server.set({ reply });
    await client.chat({
      model: 'llama3.2:3b', messages: question, format: 'json', options: { temperature: 0, num_ctx: 8192 }, stream: false,
    });
    expect(reply).toHaveBeenCalledWith({
      model: 'llama3.2:3b', messages: question, format: 'json', options: { temperature: 0, num_ctx: 8192 },
    });
    await client.list();
    expect(server.requests).toEqual([
      {
        method: 'POST',
        path: '/api/chat',
        body: expect.objectContaining({ model: 'llama3.2:3b', messages: question, stream: false, format: 'json' }),
      },
      { method: 'GET', path: '/api/tags', body: undefined },
    ]);
  });

  it('stops at options.num_predict chunks with done_reason length', async () => {
    const res = await client.chat({ model: 'llama3.2:3b', messages: question, options: { num_predict: 3 } });
    expect(res.message.content).toBe(splitReply(FAKE_OLLAMA_REPLY).slice(0, 3).join(''));
    expect(res).toMatchObject({ done_reason: 'length', eval_count: 3 });
  });

  it('loads the model without answering when there are no messages', async () => {
    const res = await client.chat({ model: 'llama3.2:3b', messages: [] });
    expect(res).toMatchObject({ done: true, done_reason: 'load', message: { content: '' } });
  });

  it('lists models, shows one and reports its version', async () => {
    server.set({ models: ['llama3.2:3b', 'qwen2.5:7b', 'mistral'] });
    const tags = await client.list();
    expect(tags.models.map((m) => m.name)).toEqual(['llama3.2:3b', 'qwen2.5:7b', 'mistral:latest']);
    const llama = tags.models[0];
    expect(llama).toMatchObject({ model: 'llama3.2:3b', details: { format: 'gguf', family: 'llama', parameter_size: '3B' } });
    expect(llama.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(llama.size).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(String(llama.modified_at)))).toBe(false);
    expect(tags.models[1].details).toMatchObject({ family: 'qwen', families: ['qwen'], parameter_size: '7B' });

    const show = await client.show({ model: 'llama3.2:3b' });
    expect(show.modelfile).toContain('FROM ');
    expect(typeof show.parameters).toBe('string');
    expect(show.template).toContain('{{ .Content }}');
    expect(show.details).toEqual(llama.details);
    expect(show.model_info).toMatchObject({ 'general.architecture': 'llama' });
    expect(show.capabilities).toContain('completion');

    // A name without a tag means :latest, both ways.
    await expect(client.show({ model: 'mistral:latest' })).resolves.toBeTruthy();
    await expect(client.chat({ model: 'mistral', messages: question })).resolves.toBeTruthy();

    expect(await client.version()).toEqual({ version: FAKE_OLLAMA_VERSION });
  });

  it('rejects an unknown model with 404 and the server message, streamed or not', async () => {
    await expect(client.show({ model: 'llama3.2' })).rejects.toMatchObject({
      name: 'ResponseError', status_code: 404, message: "model 'llama3.2' not found",
    });
    await expect(client.chat({ model: 'phi3', messages: question })).rejects.toMatchObject({
      status_code: 404, message: "model 'phi3' not found",
    });
    await expect(client.chat({ model: 'phi3', messages: question, stream: true })).rejects.toMatchObject({
      status_code: 404, message: "model 'phi3' not found",
    });
    const res = await fetch(`${server.url}/api/chat`, { method: 'POST', body: '{"model":"phi3"}' });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ error: "model 'phi3' not found" });
  });

  it('error: a 500 with the error body, which the client throws', async () => {
    server.set({ behaviour: 'error' });
    await expect(client.chat({ model: 'llama3.2:3b', messages: question, stream: true })).rejects.toMatchObject({
      name: 'ResponseError', status_code: 500, message: FAKE_OLLAMA_ERROR,
    });
    await expect(client.chat({ model: 'llama3.2:3b', messages: question })).rejects.toMatchObject({ status_code: 500 });
    // Other endpoints keep answering.
    await expect(client.version()).resolves.toEqual({ version: FAKE_OLLAMA_VERSION });
  });

  it('malformed: the client skips the lines with a warning and throws for want of a done chunk', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    server.set({ behaviour: 'malformed' });
    const stream = await client.chat({ model: 'llama3.2:3b', messages: question, stream: true });
    await expect(collect(stream)).rejects.toThrow('Did not receive done or success response in stream.');
    expect(warn).toHaveBeenCalledWith('invalid json: ', expect.any(String));

    await expect(client.chat({ model: 'llama3.2:3b', messages: question })).rejects.toThrow(SyntaxError);
  });

  it('truncated: some chunks arrive, then the client throws', async () => {
    server.set({ behaviour: 'truncated', reply: () => 'one two three four five six' });
    const parts: string[] = [];
    const stream = await client.chat({ model: 'llama3.2:3b', messages: question, stream: true });
    await expect((async () => {
      for await (const part of stream) parts.push(part.message.content);
    })()).rejects.toThrow('Did not receive done or success response in stream.');
    expect(parts).toEqual(['one', ' two', ' three']);

    await expect(client.chat({ model: 'llama3.2:3b', messages: question })).rejects.toThrow(SyntaxError);
  });

  it('hang: headers arrive, no chunk does, and abort() ends the request', async () => {
    server.set({ behaviour: 'hang' });
    const stream = await client.chat({ model: 'llama3.2:3b', messages: question, stream: true });
    const reading = collect(stream);
    const settled = vi.fn();
    reading.then(settled, settled);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).not.toHaveBeenCalled();

    client.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    // The server is still fine afterwards.
    server.set({ behaviour: 'normal' });
    await expect(client.chat({ model: 'llama3.2:3b', messages: question })).resolves.toMatchObject({ done: true });
  });

  it('hang: an unstreamed request can be given up with a timeout signal in fetch', async () => {
    server.set({ behaviour: 'hang' });
    const timed = new Ollama({
      host: server.url,
      fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(100) }),
    });
    await expect(timed.chat({ model: 'llama3.2:3b', messages: question })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('stop() ends open streams and then refuses connections', async () => {
    server.set({ behaviour: 'hang' });
    const stream = await client.chat({ model: 'llama3.2:3b', messages: question, stream: true });
    const reading = collect(stream);
    reading.catch(() => {});
    await server.stop();
    await expect(reading).rejects.toThrow();

    const error = await client.version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError & { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    server = await startFakeOllama(); // for afterEach
  });

  it('waits the first-token delay, then the delay between chunks', async () => {
    server.set({ firstTokenDelayMs: 150, tokenDelayMs: 40, reply: () => 'a b c d' });
    const started = performance.now();
    const stream = await client.chat({ model: 'llama3.2:3b', messages: question, stream: true });
    const times: number[] = [];
    for await (const part of stream) if (!part.done) times.push(performance.now() - started);
    expect(times).toHaveLength(4);
    expect(times[0]).toBeGreaterThanOrEqual(148);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(38);

    const unstreamedStart = performance.now();
    await client.chat({ model: 'llama3.2:3b', messages: question });
    expect(performance.now() - unstreamedStart).toBeGreaterThanOrEqual(150 + 3 * 40 - 2);
  });
});

describe('splitReply', () => {
  it('keeps every character, with the spaces before each word', () => {
    for (const reply of ['', '   ', 'one', ' lead and trail  ', 'line\nbreak\n\n- item [1]', 'Ünïcode — dash']) {
      expect(splitReply(reply).join('')).toBe(reply);
    }
    expect(splitReply('a  b\nc ')).toEqual(['a', '  b', '\nc ']);
  });
});
