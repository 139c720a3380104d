import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { REMOVED_PAYLOAD } from "../retention/removed.js";
import { wamidMask } from "../permissions/phones.js";
import { getContactRow } from "./contact-row.js";
import { eraseNumberInRedis } from "./erase-redis.js";

/**
 * POST /v1/contacts/{id}/erase (DPDP Act 2023 s.12, GDPR art. 17). In one transaction:
 * the number becomes its keyed hash (lib/vault keyedHash) everywhere it is held, so a
 * later message or opt-out from it still finds this contact; name, profile name,
 * attributes and tags are cleared; every message to or from it loses its content (the
 * row, status and events stay, so counts and reports still add up) and the media those
 * messages name are forgotten; outgoing webhook bodies and unapplied Meta items naming
 * the number go; consent history stays as evidence, under the hash. A wamid encodes the
 * number: its messages' wamids, and the status events keyed by them (dedupe key `meta:<wamid>:…`),
 * become each wamid's keyed digest, the one masked principals were shown
 * (lib/permissions/phones.ts). Audited without the number. What Redis holds of the number goes in the same step (lib/principals/erase-redis.ts),
 * before the commit: a Redis failure rolls the erasure back and the caller may retry.
 * A second call finds erased_at set and answers the same.
 */
export async function eraseContact(s: Services, workspaceId: string, id: string, actor: Actor) {
  return withTenant(s.db, workspaceId, async (tx) => {
    const row = await getContactRow(tx, id, true);
    if (row.erasedAt) return { id, erased_at: row.erasedAt.toISOString() };
    const number = row.waId;
    const hash = await s.vault.keyedHash(number);
    const now = s.clock.now();
    const mine = sql`(contact_id = ${id} or recipient = ${number})`;
    const idem = await tx.execute<{ k: string }>(sql`select idempotency_key as k from messages where ${mine} and idempotency_key is not null`);
    const senders = await tx.execute<{ id: string }>(sql`select id from whatsapp_numbers`);
    // Media first: the messages' payloads are what name them.
    await tx.execute(sql`delete from media where media_id in (select payload -> type ->> 'id' from messages where ${mine})`);
    // Status events keep their status and time; their details (Meta's status object) name the number.
    await tx.execute(sql`update message_events set details = '{}'::jsonb where message_id in (select id from messages where ${mine}) and details <> '{}'::jsonb`);
    // The wamids first (their digests, as masked principals saw them), while `mine` still finds the rows.
    const mask = wamidMask(s.vault, workspaceId);
    const wamids = [...(await tx.execute<{ w: string }>(sql`select wamid as w from messages where ${mine} and wamid is not null`))].map((r) => ({ w: r.w, d: mask(r.w) })).filter((p) => p.d !== p.w);
    const pairs = JSON.stringify(wamids);
    if (wamids.length) {
      await tx.execute(sql`update message_events e set dedupe_key = 'meta:' || p.d || substr(e.dedupe_key, length(p.w) + 6)
        from messages m, jsonb_to_recordset(${pairs}::jsonb) as p(w text, d text)
        where m.wamid = p.w and e.message_id = m.id and starts_with(e.dedupe_key, 'meta:' || p.w || ':')`);
      await tx.execute(sql`update messages m set wamid = p.d from jsonb_to_recordset(${pairs}::jsonb) as p(w text, d text) where m.wamid = p.w`);
      await tx.execute(sql`delete from status_backlog where wamid in (select w from jsonb_to_recordset(${pairs}::jsonb) as p(w text, d text))`);
      await tx.execute(sql`update webhook_deliveries set body = '{"removed":true}' where exists (select 1 from jsonb_to_recordset(${pairs}::jsonb) as p(w text, d text) where strpos(body, p.w) > 0)`);
    }
    await tx.execute(sql`update messages set recipient = ${hash}, payload = ${REMOVED_PAYLOAD}, error_details = null,
      content_removed_at = coalesce(content_removed_at, ${now.toISOString()}), updated_at = now() where ${mine}`);
    await tx.execute(sql`delete from status_backlog where status ->> 'recipient_id' = ${number}`);
    await tx.execute(sql`delete from customer_windows where wa_id = ${number}`);
    await tx.execute(sql`update webhook_deliveries set body = '{"removed":true}' where strpos(body, ${number}) > 0`);
    // Consent evidence keeps the digest of the wamid that gave it (0041).
    await tx.execute(sql`select sandesh_erase_number(${id}::uuid, ${number}, ${hash}, ${pairs}::jsonb)`);
    await tx.execute(sql`update contacts set wa_id = ${hash}, name = null, profile_name = null, attributes = '{}'::jsonb, tags = '{}',
      erased_at = ${now.toISOString()}, updated_at = now() where id = ${id}`);
    await eraseNumberInRedis(s, workspaceId, number, hash, { senderIds: [...senders].map((r) => r.id), idempotencyKeys: [...idem].map((r) => r.k) });
    await recordAudit(tx, { ...actor, workspaceId, action: "contact.erased", objectType: "contact", objectId: id });
    return { id, erased_at: now.toISOString() };
  });
}
