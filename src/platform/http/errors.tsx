import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ErrorView } from '../../../views/components';
import { Layout } from '../../../views/layout';
import { AppError, statusFor } from '../../shared/errors';
import { renderFragment, renderPage } from './render';
import { type AppEnv, isApi, isHtmx } from './types';

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new AppError('payload_too_large', 'The request body is too large.');
    if (err.status === 400) return new AppError('bad_request', err.message || 'Malformed request.');
  }
  return new AppError('internal_error', 'Something went wrong on our side. The error has been logged.', { cause: err });
}

/**
 * The one error handler: JSON `{error:{code,message,details?}}` for the API, an error page
 * or htmx fragment for the UI. Unknown errors are logged with their stack and shown as
 * `internal_error`, never with internals.
 */
export function handleError(err: unknown, c: Context<AppEnv>) {
  const e = toAppError(err);
  const status = statusFor(e.code);
  const log = c.get('log');
  if (status >= 500) log?.error({ err: e.cause ?? err }, 'unhandled error');
  else log?.info({ code: e.code, status }, e.message);
  if (e.code === 'account_locked' && (e.details as { retryAfterSeconds?: number })?.retryAfterSeconds) {
    c.header('Retry-After', String((e.details as { retryAfterSeconds: number }).retryAfterSeconds));
  }
  if (isApi(c) || (c.req.header('Accept') ?? '').startsWith('application/json')) {
    const body: { code: string; message: string; details?: unknown } = { code: e.code, message: e.message };
    if (e.details !== undefined && status < 500) body.details = e.details;
    return c.json({ error: body }, status as 400);
  }
  const view = <ErrorView status={status} message={e.message} requestId={c.get('requestId')} />;
  if (isHtmx(c)) return renderFragment(c, <div class="alert" role="alert">{e.message}</div>, status);
  return renderPage(c, <Layout title={status === 404 ? 'Not found' : 'Error'} viewer={c.get('user') && { name: c.get('user')!.name, email: c.get('user')!.email }}>{view}</Layout>, status);
}

/** Unknown routes: 404 in the caller's format. */
export function handleNotFound(c: Context<AppEnv>) {
  return handleError(new AppError('not_found', `No such page: ${c.req.path}`), c);
}
