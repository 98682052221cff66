/**
 * Directory sync: every person who ever signed in through an organization's directory is
 * looked up again by their unique id. Gone or disabled → the membership is deactivated and
 * their sessions end; present → groups (teams, role) follow the directory, and a member the
 * sync itself turned off comes back. The directory is read completely before anything is
 * written, so a directory that cannot be read changes nobody.
 */
import { z } from 'zod';
import type { Logger } from '../../../platform/log/logger';
import { defineJob } from '../../../platform/jobs';
import { type AppContext, type Ctx, NO_META } from '../../../shared/context';
import { AppError } from '../../../shared/errors';
import { type Actor, authorize } from '../../../authz';
import { recordAudit } from '../../audit/audit.service';
import * as identityRepo from '../identity.repository';
import { applyGroups, deactivateMember, reactivateMember } from '../provision';
import { Directory, DirectoryError } from './ldap.client';
import { deactivatedBySync, SYNC_SOURCE } from './ldap.repository';
import { loadLdap, type SyncResult } from './ldap.service';

export const LDAP_SYNC_JOB = 'signin.ldap_sync';

type Found = { present: false } | { present: true; disabled: boolean; groups: string[] };

function sameGroups(stored: string | null, groups: string[]): boolean {
  if (!stored) return false;
  try {
    const old = (JSON.parse(stored) as string[]).map((g) => g.toLowerCase()).sort();
    const now = groups.map((g) => g.toLowerCase()).sort();
    return old.length === now.length && old.every((g, i) => g === now[i]);
  } catch {
    return false;
  }
}

/**
 * Runs one sync of the organization's directory and records its result on the provider
 * (`last_sync_at`, `last_sync_result`) and in the audit log (`signin.ldap_sync`).
 */
export async function syncDirectory(ctx: Ctx, orgId: string, opts: { trigger: 'schedule' | 'manual'; actorId?: string | null }): Promise<SyncResult> {
  const p = await loadLdap(ctx, orgId);
  if (!p) throw new AppError('validation_failed', 'Save the directory settings first.');
  const identities = await identityRepo.listExternalIdentities(ctx.db, orgId, 'ldap');
  const result: SyncResult = { ok: true, checked: identities.length, deactivated: 0, reactivated: 0, updated: 0, missing: 0, disabled: 0 };
  const found = new Map<string, Found>();

  // 1. Read: nothing is written while the directory is being asked.
  let dir: Directory | undefined;
  try {
    dir = await Directory.open(p.settings, p.secrets.bindPassword ?? '');
    for (const identity of identities) {
      const u = await dir.findByUniqueId(identity.subject);
      if (!u) found.set(identity.id, { present: false });
      else found.set(identity.id, { present: true, disabled: u.disabled, groups: u.disabled ? [] : (({ names, dns }) => [...names, ...dns])(await dir.groupsOf(u.dn)) });
    }
    // A base that suddenly holds no one (a renamed OU, a filter typo) must not turn everyone off.
    if (identities.length && [...found.values()].every((f) => !f.present) && (await dir.countUsers()) === 0) {
      throw new DirectoryError('base_not_found', 'the user search finds no one, so nobody was deactivated');
    }
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    Object.assign(result, { ok: false, checked: 0, error: err.message });
    found.clear();
  } finally {
    await dir?.close();
  }

  // 2. Apply, one person per transaction.
  if (result.ok) {
    for (const identity of identities) {
      const f = found.get(identity.id)!;
      if (!f.present) result.missing++;
      else if (f.disabled) result.disabled++;
      await ctx.db.transaction().execute(async (trx) => {
        const member = await identityRepo.findMemberAnyState(trx, orgId, identity.user_id);
        if (!member) return;
        if (!f.present || f.disabled) {
          if (await deactivateMember(ctx, trx, orgId, identity.user_id, SYNC_SOURCE)) result.deactivated++;
          return;
        }
        if (member.deactivated_at) {
          if (!(await deactivatedBySync(trx, orgId, identity.user_id))) return;
          await reactivateMember(ctx, trx, orgId, identity.user_id, SYNC_SOURCE);
          result.reactivated++;
        }
        if (!sameGroups(identity.groups, f.groups)) {
          await applyGroups(ctx, trx, orgId, identity.user_id, 'ldap', f.groups, { create: false, defaultRole: p.settings.defaultRole });
          await identityRepo.updateExternalIdentity(trx, identity.id, { groups: JSON.stringify(f.groups) });
          result.updated++;
        }
      });
    }
  }

  const now = ctx.clock.now().toISOString();
  await identityRepo.setProviderSync(ctx.db, p.id, now, JSON.stringify(result));
  await recordAudit(ctx.db, ctx.clock, ctx.meta, {
    action: 'signin.ldap_sync',
    orgId,
    actorId: opts.actorId ?? null,
    targetType: 'identity_provider',
    targetId: 'ldap',
    data: { trigger: opts.trigger, ...result },
  });
  if (!result.ok) ctx.log.warn({ orgId, error: result.error }, 'directory sync could not read the directory; nobody was changed');
  return result;
}

/** The "Sync now" of the settings page and the API (admins only). */
export async function syncDirectoryNow(ctx: Ctx, actor: Actor): Promise<SyncResult> {
  authorize(actor, 'signin.manage');
  return syncDirectory(ctx, actor.orgId, { trigger: 'manual', actorId: actor.userId });
}

const ZSyncPayload = z.object({ orgId: z.string().min(1) });

/** The scheduled sync as a job, one per organization. */
export function ldapJobs(deps: { ctx: () => AppContext }) {
  return [
    defineJob<z.infer<typeof ZSyncPayload>>({
      name: LDAP_SYNC_JOB,
      schema: ZSyncPayload,
      maxAttempts: 2,
      timeoutMs: 60 * 60_000,
      concurrency: 1,
      backoff: { baseMs: 60_000, capMs: 600_000 },
      handler: async (job) => {
        const ctx: Ctx = { ...deps.ctx(), log: job.log, meta: NO_META };
        const p = await loadLdap(ctx, job.payload.orgId);
        if (!p?.enabled) {
          job.log.info('directory sign-in is off for this organization; nothing to sync');
        } else {
          await syncDirectory(ctx, job.payload.orgId, { trigger: 'schedule' });
        }
        await job.complete();
      },
    }),
  ];
}

/**
 * Queues a sync job for every organization whose directory sign-in is on and whose last
 * sync is older than `auth.ldapSyncMinutes` (0 turns the schedule off), unless one is
 * already waiting or running. Returns the organizations queued.
 */
export async function enqueueDueLdapSyncs(ctx: AppContext): Promise<string[]> {
  const minutes = ctx.config.auth.ldapSyncMinutes;
  if (!minutes) return [];
  const due = new Date(ctx.clock.now().getTime() - minutes * 60_000).toISOString();
  const queued: string[] = [];
  for (const p of await identityRepo.listEnabledProviders(ctx.db, 'ldap')) {
    if (p.last_sync_at && p.last_sync_at > due) continue;
    const open = await ctx.jobs.list(ctx.db, { orgId: p.org_id, type: LDAP_SYNC_JOB, status: ['queued', 'running'], limit: 1 });
    if (open.length) continue;
    await ctx.jobs.enqueue(ctx.db, { type: LDAP_SYNC_JOB, orgId: p.org_id, payload: { orgId: p.org_id } });
    queued.push(p.org_id);
  }
  if (queued.length) ctx.wakeJobs();
  return queued;
}

/** Checks every minute for directories due a sync (serving processes only). Returns the stop function. */
export function startLdapSyncSchedule(ctx: AppContext, log: Logger): () => void {
  if (!ctx.config.auth.ldapSyncMinutes) return () => {};
  const tick = () => {
    enqueueDueLdapSyncs(ctx).catch((err) => log.warn({ err }, 'could not queue directory syncs'));
  };
  const timer = setInterval(tick, 60_000);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
