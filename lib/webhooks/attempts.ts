import { and, desc, eq, lt } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";

/** GET /v1/webhook-endpoints/{id}/attempts: newest first, keyset-paginated by attempt id. */
export async function listAttempts(s: Services, workspaceId: string, endpointId: string, page: { cursor: string | null; limit: number }) {
  if (!UUID_PATTERN.test(endpointId)) throw notFound("Webhook endpoint");
  const rows = await withTenant(s.db, workspaceId, async (tx) => {
    const [endpoint] = await tx.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    if (!endpoint) throw notFound("Webhook endpoint");
    return tx
      .select({ a: webhookAttempts, eventType: webhookDeliveries.eventType })
      .from(webhookAttempts)
      .innerJoin(webhookDeliveries, eq(webhookDeliveries.id, webhookAttempts.deliveryId))
      .where(and(eq(webhookAttempts.endpointId, endpointId), page.cursor ? lt(webhookAttempts.id, page.cursor) : undefined))
      .orderBy(desc(webhookAttempts.id))
      .limit(page.limit + 1);
  });
  const data = rows.slice(0, page.limit).map(({ a, eventType }) => ({
    id: a.id,
    webhook_id: a.deliveryId,
    event_type: eventType,
    attempt: a.attempt,
    attempted_at: a.attemptedAt.toISOString(),
    succeeded: a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300,
    status_code: a.statusCode,
    duration_ms: a.durationMs,
    response_body: a.responseBody,
    error: a.error,
  }));
  return { data, next_cursor: rows.length > page.limit ? data[data.length - 1]!.id : null };
}
