import type { AppContext } from '../../shared/context';
import { newSecret, sha256Hex } from '../../shared/ids';
import * as repo from './identity.repository';

/**
 * Short-lived, single-use sign-in flows (OIDC state, SAML request ids, MFA challenges). The
 * caller gets a random handle; only its hash is stored. Reading a flow with `takeFlow`
 * deletes it, so a handle works once, and an expired one never.
 */
export async function startFlow<T>(ctx: AppContext, kind: string, orgId: string | null, data: T, ttlSeconds: number, handle = newSecret()): Promise<string> {
  const now = ctx.clock.now();
  await repo.deleteExpiredFlows(ctx.db, now.toISOString());
  await repo.insertFlow(ctx.db, {
    id: sha256Hex(`${kind}:${handle}`),
    org_id: orgId,
    kind,
    data: JSON.stringify(data),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
  });
  return handle;
}

/** The flow's data, removed so it cannot be used again; undefined when unknown or expired. */
export async function takeFlow<T>(ctx: AppContext, kind: string, handle: string): Promise<{ orgId: string | null; data: T } | undefined> {
  if (!handle || handle.length > 500) return undefined;
  const row = await repo.takeFlow(ctx.db, sha256Hex(`${kind}:${handle}`), kind);
  if (!row || row.expires_at <= ctx.clock.now().toISOString()) return undefined;
  return { orgId: row.org_id, data: JSON.parse(row.data) as T };
}

/** Reads a flow without consuming it (e.g. an MFA challenge that allows a few attempts). */
export async function peekFlow<T>(ctx: AppContext, kind: string, handle: string): Promise<{ orgId: string | null; data: T } | undefined> {
  if (!handle || handle.length > 500) return undefined;
  const row = await repo.findFlow(ctx.db, sha256Hex(`${kind}:${handle}`), kind);
  if (!row || row.expires_at <= ctx.clock.now().toISOString()) return undefined;
  return { orgId: row.org_id, data: JSON.parse(row.data) as T };
}

/** Replaces a live flow's data (attempt counters). */
export async function updateFlow<T>(ctx: AppContext, kind: string, handle: string, data: T): Promise<void> {
  await repo.updateFlowData(ctx.db, sha256Hex(`${kind}:${handle}`), JSON.stringify(data));
}
