import type { Db } from '../../platform/db/db';
import type { Clock } from '../../shared/clock';
import type { Ctx, RequestMeta } from '../../shared/context';
import { newId } from '../../shared/ids';
import type { Actor } from '../../authz';
import { authorize } from '../../authz';
import { insertAuditEvent, listAuditEvents } from './audit.repository';

/** Actions the audit log records; stable strings, shown to admins. */
export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'auth.locked'
  | 'session.revoked'
  | 'user.created'
  | 'org.created'
  | 'org.updated'
  | 'member.added'
  | 'member.role_changed'
  | 'member.removed'
  | 'invitation.created'
  | 'invitation.revoked'
  | 'invitation.accepted'
  | 'team.created'
  | 'team.updated'
  | 'team.deleted'
  | 'team.member_added'
  | 'team.member_removed'
  | 'token.created'
  | 'token.revoked'
  | 'folder.deleted'
  | 'document.uploaded'
  | 'document.version_added'
  | 'document.updated'
  | 'document.trashed'
  | 'document.restored'
  | 'document.purged'
  | 'document.downloaded'
  | 'extraction.corrected'
  | 'answers.settings_changed'
  | 'extraction.confirmed'
  | 'doctype.created'
  | 'doctype.updated'
  | 'doctype.deleted'
  | 'signin.settings_changed'
  | 'signin.group_mapping_changed'
  | 'signin.ldap_sync'
  | 'user.provisioned'
  | 'user.deprovisioned'
  | 'member.deactivated'
  | 'member.reactivated'
  | 'mfa.enrolled'
  | 'mfa.challenge_passed'
  | 'mfa.challenge_failed'
  | 'mfa.recovery_code_used'
  | 'mfa.recovery_codes_regenerated'
  | 'mfa.disabled'
  | 'mfa.reset_by_admin'
  | 'session.revoked_by_admin'
  | 'session.expired_by_policy'
  | 'security.policy_changed'
  | 'security.ip_blocked'
  | 'scim.token_created'
  | 'scim.token_revoked'
  | 'scim.request_rejected';

export interface AuditInput {
  action: AuditAction;
  orgId?: string | null;
  actorId?: string | null;
  targetType?: string;
  targetId?: string;
  data?: Record<string, unknown>;
}

/**
 * Appends an audit event. Pass the transaction that makes the change, so the event is
 * written if and only if the change is.
 */
export async function recordAudit(db: Db, clock: Clock, meta: RequestMeta, e: AuditInput): Promise<void> {
  await insertAuditEvent(db, {
    id: newId(),
    org_id: e.orgId ?? null,
    actor_id: e.actorId ?? null,
    action: e.action,
    target_type: e.targetType ?? null,
    target_id: e.targetId ?? null,
    ip: meta.ip,
    user_agent: meta.userAgent?.slice(0, 500) ?? null,
    data: e.data ? JSON.stringify(e.data) : null,
    created_at: clock.now().toISOString(),
  });
}

export interface PresentedAuditEvent {
  id: string;
  action: string;
  actorId: string | null;
  actorEmail: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: Record<string, unknown> | null;
  createdAt: string;
}

/** The organization's audit log, newest first; needs `audit.read`. */
export async function listOrgAudit(
  ctx: Ctx,
  actor: Actor,
  f: { action?: string; before?: string; limit?: number },
): Promise<PresentedAuditEvent[]> {
  authorize(actor, 'audit.read');
  const rows = await listAuditEvents(ctx.db, actor.orgId, { ...f, limit: Math.min(Math.max(f.limit ?? 50, 1), 200) });
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    actorId: r.actor_id,
    actorEmail: r.actor_email ?? null,
    targetType: r.target_type,
    targetId: r.target_id,
    ip: r.ip,
    userAgent: r.user_agent,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
    createdAt: r.created_at,
  }));
}
