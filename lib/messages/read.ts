import { and, asc, desc, eq, getTableColumns, gte, lt, or, sql, type SQL } from "drizzle-orm";
import { messageEvents, messages, whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { decodeCursor, encodeCursor, olderThan } from "../cursor.js";
import { notFound, validationFailed } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { phone, phoneBearing, wamid, wamidMask, type WamidMask } from "../permissions/phones.js";

type Row = typeof messages.$inferSelect & { number: string | null };

// `recipient` holds the contact's number either way: the contact receives an outbound
// message and sends an inbound one, so the number and the contact trade places.
const view = (m: Row, wamids: WamidMask) => ({
  id: m.id,
  direction: m.direction,
  status: m.status,
  // The contact's side is a person's number (lib/permissions/phones.ts decides how it is shown).
  to: m.direction === "inbound" ? m.number : phone(m.recipient),
  from: m.direction === "inbound" ? phone(m.recipient) : m.number,
  type: m.type,
  // It encodes the contact's number: masked with it (a stable digest).
  wamid: wamid(m.wamid, wamids),
  // Why it failed, or why it waits (`retrying`): reason is one stable word (lib/jobs/endings.ts).
  error: m.errorCode !== null || m.errorTitle !== null || m.errorReason !== null ? { code: m.errorCode, title: m.errorTitle, details: m.errorDetails, reason: m.errorReason } : null,
  attempts: m.attempts,
  created_at: m.createdAt.toISOString(),
  updated_at: m.updatedAt.toISOString(),
});

const columns = { ...getTableColumns(messages), number: whatsappNumbers.phoneNumberId };

/** GET /v1/messages/{id}: another workspace's id is simply not found (RLS hides it). */
export async function getMessage(s: Services, workspaceId: string, id: string) {
  if (!UUID_PATTERN.test(id)) throw notFound("Message");
  return withTenant(s.db, workspaceId, async (tx) => {
    const [m] = (await tx.select(columns).from(messages).leftJoin(whatsappNumbers, eq(whatsappNumbers.id, messages.whatsappNumberId)).where(eq(messages.id, id))) as Row[];
    if (!m) throw notFound("Message");
    // Meta's timestamps have whole seconds: within one second, lifecycle order decides.
    const events = await tx
      .select()
      .from(messageEvents)
      .where(eq(messageEvents.messageId, id))
      .orderBy(sql`date_trunc('second', ${messageEvents.occurredAt})`, sql`array_position(array['queued','sending','retrying','sent','delivered','read','failed'], ${messageEvents.status})`, asc(messageEvents.createdAt));
    // A claim's posting mark (`sending`, lib/jobs/claim.ts) is bookkeeping, not a status.
    const history = events.filter((e) => e.status !== "sending").map((e) => ({ status: e.status, at: e.occurredAt.toISOString(), ...(Object.keys(e.details).length ? { details: e.details } : {}) }));
    // An accepted message's `queued` is its created_at: the writer records no event for it
    // (rows written before that change still carry one).
    if (m.direction === "outbound" && !history.some((h) => h.status === "queued")) history.unshift({ status: "queued", at: m.createdAt.toISOString() });
    const wamids = wamidMask(s.vault, workspaceId);
    return { ...view(m, wamids), content: phoneBearing(m.payload, wamids), history };
  });
}

export interface ListQuery {
  status?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
}

const STATUSES = new Set(["queued", "sending", "retrying", "sent", "delivered", "read", "failed", "received"]);

/**
 * GET /v1/messages: newest first, keyset-paginated by an opaque cursor. `created`
 * narrows to messages created in [from, until) (the dashboard's day filter).
 */
export async function listMessages(s: Services, workspaceId: string, q: ListQuery, created?: { from: Date; until: Date }) {
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  const errors = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) errors.push({ field: "limit", message: "must be a whole number from 1 to 200" });
  if (q.status !== undefined && !STATUSES.has(q.status)) errors.push({ field: "status", message: `must be one of ${[...STATUSES].join(", ")}` });
  if (q.to !== undefined && !/^\+?\d{5,15}$/.test(q.to)) errors.push({ field: "to", message: "must be a phone number" });
  if (errors.length) throw validationFailed(errors, "The query is not valid");

  const where: SQL[] = [];
  if (q.status) where.push(eq(messages.status, q.status as Row["status"]));
  if (q.to) {
    // `to` filters on what the view shows as `to`: the contact for outbound, the number for inbound.
    const to = q.to.replace(/^\+/, "");
    where.push(or(and(eq(messages.direction, "outbound"), eq(messages.recipient, to)), and(eq(messages.direction, "inbound"), eq(whatsappNumbers.phoneNumberId, to)))!);
  }
  if (created) where.push(gte(messages.createdAt, created.from), lt(messages.createdAt, created.until));
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(olderThan(messages.createdAt, messages.id, c));
  }
  const rows = (await withTenant(s.db, workspaceId, (tx) =>
    tx.select(columns).from(messages).leftJoin(whatsappNumbers, eq(whatsappNumbers.id, messages.whatsappNumberId))
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .limit(limit + 1),
  )) as Row[];
  const page = rows.slice(0, limit);
  const wamids = wamidMask(s.vault, workspaceId);
  return { data: page.map((m) => view(m, wamids)), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.createdAt, page[page.length - 1]!.id) : null };
}
