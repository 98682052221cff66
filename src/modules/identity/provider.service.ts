import { type Actor, authorize } from '../../authz';
import { secretBoxFor } from '../../platform/crypto/secret-box';
import type { IdentityProvider, IdentityProviderKind } from '../../platform/db/schema';
import type { AppContext, Ctx } from '../../shared/context';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import * as repo from './identity.repository';

/** A provider's configuration with its secrets opened. */
export interface ProviderConfig<S, K> {
  id: string;
  orgId: string;
  kind: IdentityProviderKind;
  enabled: boolean;
  settings: S;
  secrets: K;
  lastSyncAt: string | null;
  lastSyncResult: string | null;
}

function sealContext(orgId: string, kind: IdentityProviderKind) {
  return `identity_provider:${orgId}:${kind}`;
}

/** Opens a stored provider row: settings parsed, secrets unsealed with the configured key. */
export function openProvider<S, K>(ctx: AppContext, row: IdentityProvider): ProviderConfig<S, K> {
  const box = secretBoxFor(ctx.config);
  return {
    id: row.id,
    orgId: row.org_id,
    kind: row.kind,
    enabled: row.enabled === 1,
    settings: JSON.parse(row.settings) as S,
    secrets: (row.secret ? box.openJson<K>(row.secret, sealContext(row.org_id, row.kind)) : {}) as K,
    lastSyncAt: row.last_sync_at,
    lastSyncResult: row.last_sync_result,
  };
}

/** The organization's provider of a kind, or undefined when never configured. */
export async function loadProvider<S, K>(ctx: AppContext, orgId: string, kind: IdentityProviderKind): Promise<ProviderConfig<S, K> | undefined> {
  const row = await repo.findProvider(ctx.db, orgId, kind);
  return row ? openProvider<S, K>(ctx, row) : undefined;
}

/** The enabled sign-in methods of an organization, for its sign-in page. */
export async function enabledKinds(ctx: AppContext, orgId: string): Promise<IdentityProviderKind[]> {
  return (await repo.listProviders(ctx.db, orgId)).filter((p) => p.enabled === 1).map((p) => p.kind);
}

/**
 * Saves a provider's settings (admins only). Secrets are sealed; a secret left empty in
 * `secrets` keeps the stored one, so forms never need to show them. Audited without the
 * secret values.
 */
export async function saveProvider<S extends object, K extends Record<string, string | undefined>>(
  ctx: Ctx,
  actor: Actor,
  kind: IdentityProviderKind,
  input: { enabled: boolean; settings: S; secrets: K },
): Promise<void> {
  authorize(actor, 'signin.manage');
  const existing = await loadProvider<S, K>(ctx, actor.orgId, kind);
  const secrets: Record<string, string> = { ...(existing?.secrets as Record<string, string> | undefined) };
  for (const [k, v] of Object.entries(input.secrets)) if (v) secrets[k] = v;
  const now = ctx.clock.now().toISOString();
  const box = secretBoxFor(ctx.config);
  await ctx.db.transaction().execute(async (trx) => {
    await repo.upsertProvider(trx, {
      id: existing?.id ?? newId(),
      org_id: actor.orgId,
      kind,
      enabled: input.enabled ? 1 : 0,
      settings: JSON.stringify(input.settings),
      secret: Object.keys(secrets).length ? box.sealJson(secrets, sealContext(actor.orgId, kind)) : null,
      created_at: now,
      updated_at: now,
    });
    await recordAudit(trx, ctx.clock, ctx.meta, {
      action: 'signin.settings_changed',
      orgId: actor.orgId,
      actorId: actor.userId,
      targetType: 'identity_provider',
      targetId: kind,
      data: { kind, enabled: input.enabled, secretsChanged: Object.entries(input.secrets).filter(([, v]) => !!v).map(([k]) => k) },
    });
  });
}
