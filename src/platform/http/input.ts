import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../../shared/errors';

/** Reads a JSON body; malformed JSON or another content type is a clear 400/415. */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError('unsupported_media_type', 'Send the request body as JSON with Content-Type: application/json');
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads a urlencoded or multipart form as plain string fields. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Validates input with a zod schema; every problem is reported with its field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const details = r.error.issues.map((i) => ({ field: i.path.join('.') || null, message: i.message }));
    const message = details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)).join('; ');
    throw new AppError('validation_failed', message, { details });
  }
  return r.data;
}
