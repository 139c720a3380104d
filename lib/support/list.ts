import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { PENDING_HOURS } from "./limits.js";

/** A grant as its owner and the operator see it: never its token or hash. `state` is by the database's clock. */
export interface GrantView {
  id: string;
  operator: string;
  reason: string;
  hours: number;
  approved_hours: number | null;
  /** lapsed: pending, but asked for PENDING_HOURS ago or more, and no longer approvable. */
  state: "pending" | "lapsed" | "active" | "expired" | "denied" | "revoked";
  requested_at: string;
  approved_by: string | null;
  approved_at: string | null;
  expires_at: string | null;
  denied_at: string | null;
  revoked_by: string | null;
  revoked_at: string | null;
}

export interface SupportRead {
  at: string;
  grant_id: string | null;
  method: string;
  path: string;
  status: number | null;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** The workspace's support grants, newest first (the most recent 200). */
export async function listSupportGrants(s: Services, workspaceId: string): Promise<GrantView[]> {
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.execute<Record<string, unknown>>(sql`
      select id, operator, reason, hours, approved_hours, requested_at, approved_by, approved_at, expires_at, denied_at, revoked_by, revoked_at,
        case when status = 'approved' and expires_at <= now() then 'expired' when status = 'approved' then 'active'
          when status = 'pending' and requested_at <= now() - make_interval(hours => ${PENDING_HOURS}) then 'lapsed' else status end as state
      from support_grants order by requested_at desc, id limit 200`),
  );
  return rows.map((r) => ({
    id: r.id as string,
    operator: r.operator as string,
    reason: r.reason as string,
    hours: Number(r.hours),
    approved_hours: r.approved_hours === null ? null : Number(r.approved_hours),
    state: r.state as GrantView["state"],
    requested_at: iso(r.requested_at)!,
    approved_by: (r.approved_by as string | null) ?? null,
    approved_at: iso(r.approved_at),
    expires_at: iso(r.expires_at),
    denied_at: iso(r.denied_at),
    revoked_by: (r.revoked_by as string | null) ?? null,
    revoked_at: iso(r.revoked_at),
  }));
}

/**
 * Every request support made in this workspace, newest first: the support.read rows and the
 * support.write_refused ones (an attempted change, refused: the owner sees it was tried).
 * lib/support/record-read.ts writes both.
 */
export async function listSupportReads(s: Services, workspaceId: string, limit = 100): Promise<SupportRead[]> {
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.execute<{ created_at: string; object_id: string | null; details: Record<string, unknown> }>(sql`
      select created_at, object_id, details from audit_log where object_type = 'support_grant' and action in ('support.read', 'support.write_refused') order by seq desc limit ${limit}`),
  );
  return rows.map((r) => ({
    at: iso(r.created_at)!,
    grant_id: r.object_id,
    method: String(r.details.method ?? ""),
    path: String(r.details.path ?? ""),
    status: typeof r.details.status === "number" ? r.details.status : null,
  }));
}
