import type { Ctx } from '../../../shared/context';
import { recordAudit } from '../../audit/audit.service';

/** How often one organization's rejected SCIM requests of one status reach the audit log. */
export const REJECTION_WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

export interface Rejection {
  status: number;
  scimType?: string;
  detail: string;
  method: string;
  path: string;
}

export interface Rejections {
  /** Audits a rejected request, at most once per window per organization and status; the rest are counted. */
  record(ctx: Ctx, orgId: string | null, r: Rejection): Promise<void>;
}

/**
 * Audit of rejected SCIM requests that a misconfigured or hostile client cannot flood: per
 * organization (unknown organizations share one key) and status, the first rejection of a
 * window is written as `scim.request_rejected`; later ones only count, and the next event
 * written carries how many were left out before it. Kept in this process's memory.
 */
export function createRejections(): Rejections {
  const windows = new Map<string, { start: number; suppressed: number }>();
  return {
    async record(ctx, orgId, r) {
      const key = `${orgId ?? '-'}|${r.status}`;
      const now = ctx.clock.now().getTime();
      const w = windows.get(key);
      if (w && now - w.start < REJECTION_WINDOW_MS) {
        w.suppressed += 1;
        return;
      }
      if (windows.size >= MAX_KEYS) windows.clear();
      windows.set(key, { start: now, suppressed: 0 });
      try {
        await recordAudit(ctx.db, ctx.clock, ctx.meta, {
          action: 'scim.request_rejected',
          orgId,
          actorId: null,
          data: {
            status: r.status,
            ...(r.scimType ? { scimType: r.scimType } : {}),
            detail: r.detail.slice(0, 300),
            method: r.method,
            path: r.path.slice(0, 200),
            suppressedBefore: w?.suppressed ?? 0,
          },
        });
      } catch (err) {
        ctx.log.warn({ err }, 'could not audit a rejected SCIM request');
      }
    },
  };
}
