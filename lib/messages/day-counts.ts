import { and, eq, gte, lt, sql } from "drizzle-orm";
import { messages } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";

export interface DayCounts {
  /** Reached Meta: sent, delivered or read (as a broadcast's counts say). */
  sent: number;
  /** Delivered includes read. */
  delivered: number;
  read: number;
  failed: number;
}

/** Outbound messages created in [from, until), by how far they got. */
export async function outboundCounts(s: Services, workspaceId: string, from: Date, until: Date): Promise<DayCounts> {
  const [row] = await withTenant(s.db, workspaceId, (tx) =>
    tx
      .select({
        sent: sql<number>`count(*) filter (where ${messages.status} in ('sent','delivered','read'))::int`,
        delivered: sql<number>`count(*) filter (where ${messages.status} in ('delivered','read'))::int`,
        read: sql<number>`count(*) filter (where ${messages.status} = 'read')::int`,
        failed: sql<number>`count(*) filter (where ${messages.status} = 'failed')::int`,
      })
      .from(messages)
      .where(and(eq(messages.direction, "outbound"), gte(messages.createdAt, from), lt(messages.createdAt, until))),
  );
  return { sent: row?.sent ?? 0, delivered: row?.delivered ?? 0, read: row?.read ?? 0, failed: row?.failed ?? 0 };
}
