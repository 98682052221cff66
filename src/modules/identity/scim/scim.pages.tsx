import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** SCIM token management. */
export function scimPages() {
  const app = new Hono<AppEnv>();
  return app;
}
