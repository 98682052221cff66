import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** The organization's security policy: MFA requirement, session limits, IP allowlist. */
export function securityPages() {
  const app = new Hono<AppEnv>();
  return app;
}
