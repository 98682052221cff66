import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** Two-factor enrollment, challenge and recovery codes. */
export function mfaPages() {
  const app = new Hono<AppEnv>();
  return app;
}
