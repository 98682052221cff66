import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** OpenID Connect sign-in and settings. */
export function oidcPages() {
  const app = new Hono<AppEnv>();
  return app;
}
