import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { whatsappNumbers } from "../../db/schema/index.js";
import { settleTagged } from "../ingest/statuses.js";
import type { OutgoingEvent } from "../webhooks/emit.js";
import { failedEvent, LEASE_LAPSED, SENDING_LEASE_MS } from "./endings.js";

export type Number = typeof whatsappNumbers.$inferSelect;
export type Claimed = {
  id: string;
  whatsapp_number_id: string;
  recipient: string;
  payload: Record<string, unknown>;
  attempts: number;
};

export const idList = (ids: string[]) => sql`(select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

/**
 * Claims what it can of a batch, inside the workspace's transaction: a conditional
 * update (queued|retrying → sending, with a lease), so a redelivered job finds nothing
 * to claim. A message still `sending` past its lease was held by a worker that stopped
 * mid-send: Meta may have it, so it is failed as outcome unknown and never sent again,
 * and any status Meta already sent naming it settles it at once.
 */
export async function claimBatch(tx: Tx, workspaceId: string, ids: string[], now: Date) {
  const at = now.toISOString();
  const claimed = await tx.execute<Claimed>(sql`
    update messages set status = 'sending', attempts = attempts + 1, updated_at = ${at},
      claimed_until = ${new Date(now.getTime() + SENDING_LEASE_MS).toISOString()}
    where id in ${idList(ids)} and status in ('queued', 'retrying')
    returning id, whatsapp_number_id, recipient, payload, attempts`);
  const got = new Set(claimed.map((c) => c.id));
  const rest = ids.filter((id) => !got.has(id));
  const events: OutgoingEvent[] = rest.length ? await failLapsed(tx, rest, now) : [];
  // Still `sending` inside the lease: another worker holds it, or one died moments ago.
  const inFlight = rest.length
    ? (await tx.execute<{ id: string }>(sql`select id from messages where id in ${idList(rest)} and status = 'sending'`)).map((r) => r.id)
    : [];
  const numberIds = [...new Set(claimed.map((c) => c.whatsapp_number_id))];
  const numbers = numberIds.length ? await tx.select().from(whatsappNumbers).where(sql`${whatsappNumbers.id} in ${idList(numberIds)}`) : [];
  if (events.length) events.push(...(await settleTagged(tx, workspaceId, events.map((e) => e.data.id as string))));
  return { claimed, events, inFlight: new Set(inFlight), numbers: new Map(numbers.map((n) => [n.id, n])) };
}

/** `sending` past the lease → failed, outcome unknown (with its event); answers the events. */
export async function failLapsed(tx: Tx, ids: string[], now: Date): Promise<OutgoingEvent[]> {
  const at = now.toISOString();
  const lapsed = await tx.execute<{ id: string; recipient: string }>(sql`
    with stale as (
      update messages set status = 'failed', error_code = null, error_title = ${LEASE_LAPSED}, error_details = null,
        error_reason = 'outcome_unknown', updated_at = ${at}
      where id in ${idList(ids)} and status = 'sending'
        and coalesce(claimed_until, updated_at + ${`${SENDING_LEASE_MS} milliseconds`}::interval) < ${at}
      returning id, workspace_id, recipient), ev as (
      insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
      select workspace_id, id, 'failed', ${at}, 'local:' || id || ':failed', '{"reason":"outcome_unknown"}' from stale
      on conflict do nothing)
    select id, recipient from stale`);
  return lapsed.map((m) => failedEvent(m.id, m.recipient, { code: null, title: LEASE_LAPSED, details: null, reason: "outcome_unknown" }, now));
}
