import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** LDAP sign-in, its settings and directory sync. */
export function ldapPages() {
  const app = new Hono<AppEnv>();
  return app;
}
