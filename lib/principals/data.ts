import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import { consentHistory } from "../contacts/consent.js";
import { getContactRow } from "./contact-row.js";
import type { Services } from "../context.js";

/**
 * GET /v1/contacts/{id}/data: everything held about one contact (DPDP Act 2023 s.11,
 * GDPR art. 15): the profile, the consent history, every message to or from it with its
 * content, each message's status events, the broadcasts it was a recipient of, and the
 * media its messages name. One transaction, so the parts agree with each other.
 */
export async function contactData(s: Services, workspaceId: string, id: string) {
  return withTenant(s.db, workspaceId, async (tx) => {
    const row = await getContactRow(tx, id);
    const messages = await tx.execute<Record<string, unknown>>(sql`
      select id, direction, recipient, type, payload, status, wamid, broadcast_id, error_code, error_title, error_details,
             conversation_id, pricing, content_removed_at, created_at, updated_at
      from messages where contact_id = ${id} or recipient = ${row.waId} order by created_at, id`);
    const ids = messages.map((m) => m.id as string);
    const events = ids.length
      ? await tx.execute<{ message_id: string; status: string; occurred_at: string; details: unknown }>(sql`
          select message_id, status, occurred_at, details from message_events
          where message_id = any(${`{${ids.join(",")}}`}::uuid[]) order by occurred_at, id`)
      : [];
    const media = await tx.execute<Record<string, unknown>>(sql`
      select m.media_id, m.mime_type, m.file_size, m.sha256, m.source, m.created_at from media m
      where m.media_id in (select payload -> type ->> 'id' from messages where contact_id = ${id} or recipient = ${row.waId})`);
    const byMessage = new Map<string, unknown[]>();
    for (const e of events) byMessage.set(e.message_id, [...(byMessage.get(e.message_id) ?? []), { status: e.status, at: new Date(e.occurred_at).toISOString(), details: e.details }]);
    return {
      contact: {
        id: row.id,
        wa_id: row.erasedAt ? null : row.waId,
        name: row.name,
        profile_name: row.profileName,
        attributes: row.attributes,
        tags: row.tags,
        marketing_opt_in_at: row.marketingOptInAt?.toISOString() ?? null,
        marketing_opt_in_source: row.marketingOptInSource,
        opted_out_at: row.optedOutAt?.toISOString() ?? null,
        opted_out_source: row.optedOutSource,
        last_inbound_at: row.lastInboundAt?.toISOString() ?? null,
        erased_at: row.erasedAt?.toISOString() ?? null,
        created_at: row.createdAt.toISOString(),
        updated_at: row.updatedAt.toISOString(),
      },
      consent_history: await consentHistory(tx, id),
      messages: messages.map((m) => ({ ...m, events: byMessage.get(m.id as string) ?? [] })),
      broadcasts: [...new Set(messages.map((m) => m.broadcast_id).filter((b): b is string => typeof b === "string"))].map((bid) => ({
        broadcast_id: bid,
        messages: messages.filter((m) => m.broadcast_id === bid).map((m) => ({ id: m.id, status: m.status })),
      })),
      media,
    };
  });
}
