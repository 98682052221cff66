/**
 * Domain errors. Services throw AppError with a stable snake_case code; the HTTP edge maps
 * the code to a status with `statusFor` and never shows internals for unknown errors.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'invalid_json'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'account_locked'
  | 'forbidden'
  | 'csrf_rejected'
  | 'not_found'
  | 'conflict'
  | 'weak_password'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'setup_done'
  | 'last_owner'
  | 'sso_failed'
  | 'mfa_required'
  | 'ip_not_allowed'
  | 'internal_error';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  weak_password: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  account_locked: 429,
  forbidden: 403,
  csrf_rejected: 403,
  not_found: 404,
  conflict: 409,
  setup_done: 409,
  last_owner: 409,
  sso_failed: 401,
  mfa_required: 403,
  ip_not_allowed: 403,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, opts: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details;
  }
}

/** HTTP status for an error code. */
export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export function notFound(what = 'Record'): AppError {
  return new AppError('not_found', `${what} not found`);
}
