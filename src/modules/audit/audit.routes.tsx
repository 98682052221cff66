import { Hono } from 'hono';
import { PageHeader, Time } from '../../../views/components';
import { requireUser } from '../../platform/http/auth';
import type { AppEnv } from '../../platform/http/types';
import { page } from '../web/shell';
import { tenant } from '../orgs/tenant';
import { listOrgAudit } from './audit.service';

function query(c: { req: { query(k: string): string | undefined } }) {
  const limit = Number(c.req.query('limit') ?? 50);
  return { action: c.req.query('action') || undefined, before: c.req.query('before') || undefined, limit: Number.isFinite(limit) ? limit : 50 };
}

/** JSON API: `GET /api/v1/orgs/:org/audit-events` (newest first, `before` to page). */
export function auditRoutes() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);
  app.get('/', async (c) => {
    const events = await listOrgAudit(c.get('ctx'), c.get('actor')!, query(c));
    return c.json({ events, next: events.length ? events[events.length - 1].createdAt : null });
  });
  return app;
}

/** The audit log page of an organization. */
export function auditPages() {
  const app = new Hono<AppEnv>();
  app.use('*', requireUser, tenant);
  app.get('/', async (c) => {
    const q = query(c);
    const events = await listOrgAudit(c.get('ctx'), c.get('actor')!, q);
    const slug = c.get('org')!.slug;
    return page(c, { title: 'Audit log', active: 'audit' }, (
      <>
        <PageHeader title="Audit log" />
        <table>
          <thead><tr><th>When</th><th>Who</th><th>What</th><th>Details</th><th>IP address</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr>
                <td><Time iso={e.createdAt} /></td>
                <td>{e.actorEmail ?? <span class="muted">—</span>}</td>
                <td><code>{e.action}</code></td>
                <td class="mono">{e.data ? JSON.stringify(e.data) : ''}</td>
                <td class="mono">{e.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {events.length === q.limit && (
          <p><a href={`/o/${slug}/audit?before=${encodeURIComponent(events[events.length - 1].createdAt)}`}>Older events →</a></p>
        )}
      </>
    ));
  });
  return app;
}
