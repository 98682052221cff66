import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { baseUrl } from '../../../platform/http/request';
import type { AppEnv } from '../../../platform/http/types';
import { AppError, statusFor } from '../../../shared/errors';
import { type Rejections, createRejections } from './scim.rejections';
import { resourceTypes, SCIM_CONTENT_TYPE, type ScimType, schemas, scimError, scimTypeOf, serviceProviderConfig, URN } from './scim.protocol';
import * as groups from './scim.groups';
import * as scim from './scim.service';
import { authenticateScimToken, findScimOrg } from './scim.token.service';

type ScimEnv = AppEnv & { Variables: { scim: scim.ScimCall } };
type C = Context<ScimEnv>;

function send(c: C, body: unknown, status = 200) {
  return c.body(JSON.stringify(body), status as 200, { 'Content-Type': SCIM_CONTENT_TYPE });
}

function errorBody(status: number, detail: string, scimType?: ScimType) {
  return { schemas: [URN.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** Reads the JSON body within the size limit; anything else is a SCIM error. */
async function readBody(c: C): Promise<unknown> {
  const max = c.get('ctx').config.server.maxBodyBytes;
  const type = c.req.header('Content-Type');
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) throw scimError('invalidSyntax', 'Send the body as JSON with Content-Type: application/scim+json.', 'unsupported_media_type');
  const declared = Number(c.req.header('Content-Length'));
  if (declared > max) throw new AppError('payload_too_large', `The request body is larger than the limit of ${max} bytes.`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = c.req.raw.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        throw new AppError('payload_too_large', `The request body is larger than the limit of ${max} bytes.`);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw scimError('invalidSyntax', 'The request has no body; send a SCIM resource as JSON.', 'invalid_json');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw scimError('invalidSyntax', `The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`, 'invalid_json');
  }
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.9) on top-level attributes; id, schemas and meta always stay. */
function project(c: C, resource: Record<string, unknown>): Record<string, unknown> {
  const list = (q: string | undefined) => (q ? q.split(',').map((a) => a.trim().replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i, '').split('.')[0].toLowerCase()).filter(Boolean) : undefined);
  const only = list(c.req.query('attributes'));
  const without = list(c.req.query('excludedAttributes'));
  const keep = new Set(['id', 'schemas', 'meta']);
  return Object.fromEntries(
    Object.entries(resource).filter(([k]) => keep.has(k) || ((!only || only.includes(k.toLowerCase())) && !without?.includes(k.toLowerCase()))),
  );
}

function projectList(c: C, list: { Resources: Record<string, unknown>[] }) {
  return { ...list, Resources: list.Resources.map((r) => project(c, r)) };
}

function wantsMembers(c: C): boolean {
  const has = (q: string | undefined) => !!q && q.split(',').some((a) => a.trim().toLowerCase() === 'members');
  const only = c.req.query('attributes');
  return !has(c.req.query('excludedAttributes')) && (!only || has(only));
}

/**
 * SCIM 2.0 provisioning API (RFC 7644), one endpoint per organization:
 * `/scim/v2/<org>/{Users,Groups,ServiceProviderConfig,ResourceTypes,Schemas}`. Mounted before
 * session and personal-token authentication: every request must carry an active SCIM
 * token of the organization in its URL, or it gets 401 and nothing else.
 */
export function scimRoutes() {
  const app = new Hono<ScimEnv>();
  const rejections: Rejections = createRejections();

  app.onError(async (err, c) => {
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (err instanceof HTTPException && err.status < 500) e = new AppError(err.status === 413 ? 'payload_too_large' : 'bad_request', err.message || 'Malformed request.');
    else e = new AppError('internal_error', 'Something went wrong on our side. The error has been logged.', { cause: err });
    const status = statusFor(e.code);
    const log = c.get('log');
    if (status >= 500) log?.error({ err: e.cause ?? err }, 'SCIM request failed');
    else log?.info({ code: e.code, status }, e.message);
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="Folio SCIM"');
    if ([400, 401, 403, 413, 415].includes(status)) {
      const orgId = (c as C).get('scim')?.org.id ?? (c.get('org')?.id ?? null);
      await rejections.record(c.get('ctx'), orgId, { status, scimType: scimTypeOf(e), detail: e.message, method: c.req.method, path: c.req.path });
    }
    return send(c as C, errorBody(status, e.message, scimTypeOf(e)), status);
  });

  const unauthenticated = () => new AppError('unauthenticated', 'The SCIM token is missing, invalid or revoked, or belongs to another organization.');

  app.use('/:org/*', async (c, next) => {
    const ctx = c.get('ctx');
    const org = await findScimOrg(ctx, c.req.param('org'));
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '');
    const token = org && m ? await authenticateScimToken(ctx, org.id, m[1]) : null;
    if (org) c.set('org', org);
    if (!org || !token) throw unauthenticated();
    c.set('log', c.get('log').child({ orgId: org.id, scimToken: token.id }));
    c.set('scim', { ctx, org, tokenId: token.id, base: `${baseUrl(c as unknown as Context<AppEnv>, ctx.config)}/scim/v2/${org.slug}` });
    await next();
  });

  const call = (c: C) => c.get('scim');
  const query = (c: C) => ({ filter: c.req.query('filter'), startIndex: c.req.query('startIndex'), count: c.req.query('count') });

  // Discovery
  app.get('/:org/ServiceProviderConfig', (c) => send(c, serviceProviderConfig(call(c).base, c.get('ctx').config.server.maxBodyBytes)));
  app.get('/:org/ResourceTypes', (c) => {
    const all = resourceTypes(call(c).base);
    return send(c, { schemas: [URN.list], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
  });
  app.get('/:org/ResourceTypes/:id', (c) => {
    const found = resourceTypes(call(c).base).find((r) => r.id === c.req.param('id'));
    if (!found) throw scimError('noTarget', `No resource type ${c.req.param('id').slice(0, 64)}.`, 'not_found');
    return send(c, found);
  });
  app.get('/:org/Schemas', (c) => {
    const all = schemas(call(c).base);
    return send(c, { schemas: [URN.list], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
  });
  app.get('/:org/Schemas/:id', (c) => {
    const found = schemas(call(c).base).find((s) => s.id === c.req.param('id'));
    if (!found) throw scimError('noTarget', `No schema ${c.req.param('id').slice(0, 100)}.`, 'not_found');
    return send(c, found);
  });

  // Users
  app.get('/:org/Users', async (c) => send(c, projectList(c, await scim.listUsers(call(c), query(c)))));
  app.post('/:org/Users', async (c) => {
    const user = await scim.createUser(call(c), await readBody(c));
    c.header('Location', (user.meta as { location: string }).location);
    return send(c, project(c, user), 201);
  });
  app.get('/:org/Users/:id', async (c) => send(c, project(c, await scim.getUser(call(c), c.req.param('id')))));
  app.put('/:org/Users/:id', async (c) => send(c, project(c, await scim.replaceUser(call(c), c.req.param('id'), await readBody(c)))));
  app.patch('/:org/Users/:id', async (c) => send(c, project(c, await scim.patchUserResource(call(c), c.req.param('id'), await readBody(c)))));
  app.delete('/:org/Users/:id', async (c) => {
    await scim.deleteUser(call(c), c.req.param('id'));
    return c.body(null, 204);
  });

  // Groups
  app.get('/:org/Groups', async (c) => send(c, projectList(c, await groups.listGroups(call(c), query(c), wantsMembers(c)))));
  app.post('/:org/Groups', async (c) => {
    const group = await groups.createGroup(call(c), await readBody(c));
    c.header('Location', (group.meta as { location: string }).location);
    return send(c, project(c, group), 201);
  });
  app.get('/:org/Groups/:id', async (c) => send(c, project(c, await groups.getGroup(call(c), c.req.param('id'), wantsMembers(c)))));
  app.put('/:org/Groups/:id', async (c) => send(c, project(c, await groups.replaceGroup(call(c), c.req.param('id'), await readBody(c)))));
  app.patch('/:org/Groups/:id', async (c) => {
    await groups.patchGroupResource(call(c), c.req.param('id'), await readBody(c));
    return c.body(null, 204);
  });
  app.delete('/:org/Groups/:id', async (c) => {
    await groups.deleteGroup(call(c), c.req.param('id'));
    return c.body(null, 204);
  });

  // Anything else under an organization (after authentication), and the bare prefix.
  app.all('/:org/*', (c) => {
    if (c.req.path.includes('//')) throw scimError('noTarget', 'No such SCIM endpoint: the base (tenant) URL must not end with a slash.', 'not_found');
    throw scimError('noTarget', 'No such SCIM endpoint. Use /Users, /Groups, /ServiceProviderConfig, /ResourceTypes or /Schemas.', 'not_found');
  });
  app.all('*', () => {
    throw scimError('noTarget', 'No such SCIM endpoint. The base URL is /scim/v2/<organization>.', 'not_found');
  });
  return app;
}
