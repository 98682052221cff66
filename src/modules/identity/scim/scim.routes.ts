import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** SCIM 2.0 provisioning API. */
export function scimRoutes() {
  const app = new Hono<AppEnv>();
  return app;
}
