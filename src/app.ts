import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sql } from 'kysely';
import { answerPages } from './modules/answers/answer.pages';
import { answerRoutes } from './modules/answers/answer.routes';
import { auditPages, auditRoutes } from './modules/audit/audit.routes';
import { authPages } from './modules/auth/auth.pages';
import { documentPages } from './modules/documents/document.pages';
import { documentRoutes, folderRoutes } from './modules/documents/document.routes';
import { extractionPages } from './modules/extraction/extraction.pages';
import { extractionRoutes } from './modules/extraction/extraction.routes';
import { UPLOAD_PATH } from './modules/documents/upload';
import { validateSessionToken } from './modules/auth/session.service';
import { identityPages } from './modules/identity/identity.pages';
import { ldapPages } from './modules/identity/ldap/ldap.pages';
import { mfaPages } from './modules/identity/mfa/mfa.pages';
import { oidcPages } from './modules/identity/oidc/oidc.pages';
import { securityPages } from './modules/identity/policy/policy.pages';
import { SAML_ACS_PATH, samlPages } from './modules/identity/saml/saml.pages';
import { scimPages } from './modules/identity/scim/scim.pages';
import { scimRoutes } from './modules/identity/scim/scim.routes';
import { invitationPages } from './modules/orgs/invitation.pages';
import { searchPages } from './modules/search/search.pages';
import { searchRoutes } from './modules/search/search.routes';
import { orgPages } from './modules/orgs/org.pages';
import { orgRoutes } from './modules/orgs/org.routes';
import { teamPages, teamRoutes } from './modules/teams/team.routes';
import { tokenPages, tokenRoutes } from './modules/tokens/token.routes';
import { authenticateToken } from './modules/tokens/token.service';
import { meRoutes } from './modules/users/me.routes';
import { assetRoutes } from './platform/http/assets';
import { authenticate } from './platform/http/auth';
import { handleError, handleNotFound } from './platform/http/errors';
import { requestContext } from './platform/http/request';
import { csrfProtection, securityHeaders } from './platform/http/security';
import type { AppEnv } from './platform/http/types';
import type { AppContext } from './shared/context';
import { AppError } from './shared/errors';

/**
 * Builds the HTTP application: global middleware in order (request id and logging, security
 * headers, body limit, authentication, CSRF), then each module's pages and API.
 */
export function buildApp(deps: AppContext) {
  const app = new Hono<AppEnv>();
  const { config } = deps;

  app.use('*', requestContext(deps));
  app.use('*', securityHeaders());
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: 'ready', database: deps.dialect });
    } catch (err) {
      c.get('log').warn({ err }, 'readiness check failed');
      return c.json({ status: 'unavailable', database: deps.dialect }, 503);
    }
  });
  app.route('/assets', assetRoutes());

  const limit = (maxSize: number, what: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError('payload_too_large', `${what} is larger than the limit of ${maxSize} bytes.`);
      },
    });
  const uploadLimit = limit(config.uploads.maxBytes, 'The uploaded file');
  const bodyLimitOf = limit(config.server.maxBodyBytes, 'The request body');
  // SCIM reads its bodies with the same limit itself, to answer in SCIM's error format.
  app.use('*', (c, next) => (UPLOAD_PATH.test(c.req.path) ? uploadLimit(c, next) : c.req.path.startsWith('/scim/v2/') ? next() : bodyLimitOf(c, next)));
  // SCIM clients authenticate with the organization's SCIM token, not a session or personal token.
  app.route('/scim/v2', scimRoutes());
  app.use('*', authenticate(config, { validateSession: (t) => validateSessionToken(deps, t), authenticateToken: (t) => authenticateToken(deps, t) }));
  // The identity provider posts SAML responses from its own site; they are signed, not same-origin.
  app.use('*', csrfProtection(config, { exempt: (path) => SAML_ACS_PATH.test(path) }));

  // JSON API
  app.route('/api/v1/me/tokens', tokenRoutes());
  app.route('/api/v1/me', meRoutes());
  app.route('/api/v1/orgs/:org/teams', teamRoutes());
  app.route('/api/v1/orgs/:org/audit-events', auditRoutes());
  app.route('/api/v1/orgs/:org/documents', documentRoutes());
  app.route('/api/v1/orgs/:org/folders', folderRoutes());
  app.route('/api/v1/orgs/:org', extractionRoutes());
  app.route('/api/v1/orgs/:org', searchRoutes());
  app.route('/api/v1/orgs/:org', answerRoutes());
  app.route('/api/v1/orgs', orgRoutes());

  // Pages
  app.route('/', authPages());
  app.route('/', identityPages());
  app.route('/', ldapPages());
  app.route('/', samlPages());
  app.route('/', oidcPages());
  app.route('/', mfaPages());
  app.route('/', securityPages());
  app.route('/', scimPages());
  app.route('/', invitationPages());
  app.route('/account/tokens', tokenPages());
  app.route('/o/:org/teams', teamPages());
  app.route('/o/:org/audit', auditPages());
  // Before the library: its routes (review queue, review screens, settings) resolve the org per route.
  app.route('/o/:org', extractionPages());
  app.route('/o/:org', searchPages());
  app.route('/o/:org', answerPages());
  app.route('/o/:org/documents', documentPages());
  app.route('/', orgPages());

  app.notFound(handleNotFound);
  app.onError(handleError);
  return app;
}

export type App = ReturnType<typeof buildApp>;
