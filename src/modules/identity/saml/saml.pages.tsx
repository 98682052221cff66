import { Hono } from 'hono';
import type { AppEnv } from '../../../platform/http/types';

/** Where identity providers post SAML responses (the assertion consumer service). */
export const SAML_ACS_PATH = /^\/sso\/[^/]+\/saml\/acs$/;

/** SAML 2.0 service provider: metadata, login, assertion consumer and settings. */
export function samlPages() {
  const app = new Hono<AppEnv>();
  return app;
}
