import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { webhookDeliveries, webhookEndpoints } from "../../db/schema/index.js";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { uuidv7 } from "../ids.js";
import { maskWebhookBody, wamidMask } from "../permissions/phones.js";
import { metaBody, numbersOf, type MetaOrigin } from "./meta-format.js";

/**
 * The events Sandesh forwards to a workspace's own webhook endpoints.
 * Contract used by the Meta ingest and the send job:
 *   - `recordEvents` runs inside the caller's tenant transaction (durable with it);
 *   - `dispatchRecorded` runs after commit and hands delivery to the queue.
 */
export const EVENT_TYPES = [
  "message.sent",
  "message.delivered",
  "message.read",
  "message.failed",
  "message.received",
  "contact.opted_out",
  "contact.opted_in",
  "broadcast.started",
  "broadcast.completed",
  "broadcast.canceled",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutgoingEvent {
  type: EventType;
  /** When it happened (Meta's timestamp where there is one). */
  timestamp: Date;
  data: Record<string, unknown>;
  /** Meta's own item behind the event (the ingest's), for endpoints of format meta. */
  meta?: MetaOrigin;
}

/** What `recordEvents` needs of an endpoint; cached per workspace for a few seconds. */
export interface EndpointRoute {
  id: string;
  events: readonly string[] | null;
  format: "standard" | "meta";
  /** Its payloads carry masked phone numbers (lib/permissions/phones.ts). */
  masksPhones: boolean;
}
/**
 * Another process's change reaches this one within this long; this process's own
 * changes invalidate at once. Safe: the insert re-checks that the endpoint exists and
 * is enabled, so a stale entry can only miss an endpoint created elsewhere, or apply
 * an event list changed elsewhere, for those few seconds.
 */
export const ENDPOINTS_TTL_MS = 5_000;

/** Per workspace, cached: the enabled endpoints and what they subscribe to. */
async function routesFor(s: Services, tx: Tx, workspaceId: string): Promise<EndpointRoute[]> {
  const hit = s.caches.webhookEndpoints.get(workspaceId);
  if (hit) return hit;
  const rows = await tx.select({ id: webhookEndpoints.id, events: webhookEndpoints.events, format: webhookEndpoints.format, masksPhones: webhookEndpoints.masksPhones }).from(webhookEndpoints).where(eq(webhookEndpoints.enabled, true));
  s.caches.webhookEndpoints.set(workspaceId, rows);
  return rows;
}

/**
 * Inside the caller's tenant transaction: one delivery row per event per subscribed
 * endpoint, durable with whatever caused the events. With no endpoint (the common
 * case) this costs a cache look-up. Returns how many deliveries were recorded.
 */
export async function recordEvents(s: Services, tx: Tx, workspaceId: string, events: OutgoingEvent[]): Promise<number> {
  if (!events.length) return 0;
  const routes = await routesFor(s, tx, workspaceId);
  if (!routes.length) return 0;
  const nowMs = s.clock.now().getTime();
  const rows: { id: string; endpoint_id: string; event_type: string; body: string }[] = [];
  // The numbers behind Meta's events, read only when an endpoint wants Meta's shape.
  const numbers = routes.some((r) => r.format === "meta") ? await numbersOf(tx, events.filter((e) => e.meta).map((e) => String(e.data.id))) : null;
  for (const e of events) {
    const body = JSON.stringify({ type: e.type, timestamp: e.timestamp.toISOString(), data: e.data });
    const meta = numbers && metaBody(e.meta, numbers.get(String(e.data.id)));
    const maskedBody = { standard: undefined as string | undefined, meta: undefined as string | undefined };
    for (const r of routes) {
      if (r.events && !r.events.includes(e.type)) continue;
      if (r.format === "meta" && !meta) continue; // no Meta shape: a Sandesh-only event (lib/webhooks/meta-format.ts)
      const whole = r.format === "meta" ? meta! : body;
      // Masked once per event and shape, for the endpoints whose creator saw numbers masked.
      const sent = r.masksPhones ? (maskedBody[r.format] ??= maskWebhookBody(whole, wamidMask(s.vault, workspaceId))) : whole;
      rows.push({ id: uuidv7(nowMs), endpoint_id: r.id, event_type: e.type, body: sent });
    }
  }
  if (!rows.length) return 0;
  // Joined with the endpoints, so an entry another process made stale (deleted,
  // disabled) records nothing instead of failing the caller's transaction.
  const inserted = await tx.execute(sql`
    insert into webhook_deliveries (id, workspace_id, endpoint_id, event_type, body)
    select r.id, e.workspace_id, e.id, r.event_type, r.body
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, endpoint_id uuid, event_type text, body text)
    join webhook_endpoints e on e.id = r.endpoint_id and e.enabled
    returning 1`);
  return inserted.length;
}

const DISPATCH_BATCH = 500;

/**
 * After commit: hands every recorded, not yet queued delivery of these workspaces to
 * the queue, then marks it queued. The queue drops a second job for one delivery
 * (its id is the dedup id), so a concurrent dispatch or the sweep is harmless.
 */
export async function dispatchRecorded(s: Services, workspaceIds: string[]): Promise<void> {
  for (const workspaceId of new Set(workspaceIds)) {
    for (;;) {
      const n = await withTenant(s.db, workspaceId, async (tx) => {
        const rows = await tx
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(and(isNull(webhookDeliveries.enqueuedAt), eq(webhookDeliveries.status, "queued")))
          .orderBy(webhookDeliveries.id)
          .limit(DISPATCH_BATCH)
          .for("update", { skipLocked: true });
        if (!rows.length) return 0;
        await Promise.all(rows.map((r) => s.queue.enqueueWebhook({ deliveryId: r.id, workspaceId })));
        await tx.update(webhookDeliveries).set({ enqueuedAt: s.clock.now() }).where(inArray(webhookDeliveries.id, rows.map((r) => r.id)));
        return rows.length;
      });
      if (n < DISPATCH_BATCH) break;
    }
  }
}

export const UNDISPATCHED_AFTER_S = 60;

/** The sweep: deliveries whose dispatch never happened (a crash after commit). */
export async function redispatchWebhooks(s: Services, olderThanS = UNDISPATCHED_AFTER_S): Promise<number> {
  const rows = await asApp(s.db, (tx) => tx.execute<{ workspace_id: string }>(sql`select workspace_id from sandesh_undispatched_webhooks(${olderThanS}, 100)`));
  if (rows.length) {
    s.logger.warn("dispatching webhook deliveries left behind", { workspaces: rows.length });
    await dispatchRecorded(s, rows.map((r) => r.workspace_id));
  }
  return rows.length;
}
