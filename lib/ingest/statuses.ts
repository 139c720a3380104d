import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import type { OutgoingEvent } from "../webhooks/emit.js";
import { readTag } from "../meta/tag.js";
import { fromUnixSeconds, type MetaStatus } from "./payload.js";
import { attachTagged, taggedMessage } from "./reconcile.js";

/**
 * Statuses move a message forward only: sent < delivered < read; `failed` is terminal
 * and wins over anything before `delivered`. Meta retries for days and does not keep
 * order, so each (wamid, status) is recorded once, and a late `delivered` after `read`
 * is history, not state. One statement handles a whole batch whose wamids are known.
 */
const KNOWN = new Set(["sent", "delivered", "read", "failed"]);

interface Row {
  wamid: string;
  status: string;
  occurred_at: string;
  details: Record<string, unknown>;
  error_code: number | null;
  error_title: string | null;
  error_details: string | null;
  conversation_id: string | null;
  pricing: Record<string, unknown> | null;
}

const toRow = (st: MetaStatus): Row => {
  const err = st.errors?.[0];
  return {
    wamid: st.id,
    status: st.status,
    occurred_at: fromUnixSeconds(st.timestamp).toISOString(),
    details: {
      ...(st.recipient_id ? { recipient_id: st.recipient_id } : {}),
      ...(st.errors ? { errors: st.errors } : {}),
      ...(st.pricing ? { pricing: st.pricing } : {}),
      ...(st.conversation ? { conversation: st.conversation } : {}),
    },
    error_code: err?.code ?? null,
    error_title: err ? (err.title ?? err.message ?? null) : null,
    error_details: err?.error_data?.details ?? null,
    conversation_id: st.conversation?.id ?? null,
    pricing: st.pricing ?? null,
  };
};

/** Failed as "outcome unknown" (lib/jobs/endings.ts): Meta may have it, so its statuses still count. */
const UNSETTLED = `(t.status = 'failed' and t.error_reason = 'outcome_unknown')`;
const RANK = `(case when ${UNSETTLED} then 2 else array_position(array['queued','sending','retrying','sent','delivered','read'], t.status) end)`;
/** Whether status b moves message t forward: failed is terminal (unless unsettled) and beats anything before delivered. */
const ADVANCES_SQL = `((t.status <> 'failed' or ${UNSETTLED}) and ((b.status = 'failed' and ${RANK} < 5) or (b.status <> 'failed' and ${RANK} < b.rank)))`;
const ADVANCES = sql.raw(ADVANCES_SQL);
/** An error field: Meta's on its failure, cleared when Meta settles an unsettled message, else kept. */
const errorField = (col: string, fromMeta: string) => sql.raw(`case when ${ADVANCES_SQL} then (case when b.status = 'failed' then ${fromMeta} when ${UNSETTLED} then null else t.${col} end) else t.${col} end`);

type Applied = { events: OutgoingEvent[]; unknown: string[] };

/**
 * A status whose wamid no message carries yet waits in status_backlog until the send
 * job records the wamid and drains it. Under READ COMMITTED each side could miss the
 * other's uncommitted write (the webhook looks before the send job commits the wamid,
 * the send job drains before the webhook commits the backlog row) and strand the status.
 * So both take a transaction lock per wamid before they look: the webhook for every
 * wamid of the delivery, up front; the send job for the wamids it records, before it
 * drains and commits. Whichever gets the locks second sees what the other committed.
 */
const WAMID_LOCK = 0x77616d64; // "wamd": the lock class, apart from every other advisory lock
export async function lockWamids(tx: Tx, wamids: string[]): Promise<void> {
  await tx.execute(lockWamidsStatement(wamids));
}

/** The statement lockWamids runs, for callers that pipeline it (lib/ingest/status-writer.ts). */
export const lockWamidsStatement = (wamids: string[]) =>
  // Sorted, so two transactions locking overlapping sets never wait on each other in a cycle.
  sql`
    select count(pg_advisory_xact_lock(${WAMID_LOCK}, k)) from (
      select distinct hashtext(value) as k from jsonb_array_elements_text(${JSON.stringify(wamids)}::jsonb) order by k) w`;

/** The caller holds the statuses' wamid locks (lockWamids): see above. */
export async function applyStatuses(tx: Tx, workspaceId: string, statuses: MetaStatus[]): Promise<OutgoingEvent[]> {
  const known = knownStatuses(statuses);
  if (!known.length) return [];
  const applied = await apply(tx, workspaceId, known);
  if (applied.unknown.length) {
    const unknown = new Set(applied.unknown);
    // A send whose answer was lost: the status names its message, which now takes the wamid.
    const attached = await attachTagged(tx, workspaceId, known.filter((s) => unknown.has(s.id)));
    if (attached.size) {
      applied.events.push(...(await apply(tx, workspaceId, known.filter((s) => attached.has(s.id)))).events);
      // Earlier statuses of the same wamid that waited while the message was still `sending`.
      applied.events.push(...(await applyBacklogFor(tx, workspaceId, [...attached])));
    }
    const backlog = known.filter((s) => unknown.has(s.id) && !attached.has(s.id)).map((raw) => ({ ...toRow(raw), message_id: taggedMessage(raw), raw }));
    if (backlog.length) {
      await tx.execute(sql`
        insert into status_backlog (workspace_id, wamid, status, dedupe_key, message_id)
        select ${workspaceId}, b->>'wamid', b, (b->>'wamid') || ':' || (b->>'status'), (b->>'message_id')::uuid
        from jsonb_array_elements(${JSON.stringify(backlog)}::jsonb) b
        on conflict (workspace_id, dedupe_key) do nothing`);
    }
  }
  return applied.events;
}

async function apply(tx: Tx, workspaceId: string, statuses: MetaStatus[]): Promise<Applied> {
  const result = await tx.execute<AppliedRow>(applyStatement(workspaceId, statuses));
  return appliedFrom(statuses, result[0]!);
}

/** What the apply statement answers: the events it recorded, and the wamids no message carries. */
export type AppliedRow = {
  events: { message_id: string; wamid: string; status: string; occurred_at: string; recipient: string; broadcast_id: string | null; error: unknown }[] | null;
  unknown: string[] | null;
};

/** Statuses this module acts on (others are acknowledged and ignored). */
export const knownStatuses = (statuses: MetaStatus[]) => statuses.filter((s) => KNOWN.has(s.status));

/**
 * One statement for a whole batch of known statuses: the event rows (each (wamid,
 * status) once) and every message moved forward. The same text for any batch size, so
 * a pipelining caller prepares it once per connection. The caller holds the wamids' locks.
 */
export function applyStatement(workspaceId: string, statuses: MetaStatus[]) {
  const rows = statuses.map(toRow);
  return sql`
    with s as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as s(
        wamid text, status text, occurred_at timestamptz, details jsonb, error_code int, error_title text,
        error_details text, conversation_id text, pricing jsonb)
    ), m as (
      -- A lateral look-up per status: an index probe on wamid whatever the planner's statistics say.
      select distinct on (t.id, s.status) t.id, t.recipient, t.broadcast_id, s.* from s
      cross join lateral (select id, recipient, broadcast_id from messages where workspace_id = ${workspaceId} and wamid = s.wamid and direction = 'outbound') t
    ), ev as (
      insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
      select ${workspaceId}, m.id, m.status, m.occurred_at, 'meta:' || m.wamid || ':' || m.status, m.details from m
      on conflict (workspace_id, dedupe_key) do nothing
      returning message_id, status
    ), carried as (
      -- Any pricing or conversation the batch carries per message, kept whether or not the
      -- status moves: one pass over the batch (a subquery per row was quadratic in its size).
      select id, (array_agg(pricing) filter (where pricing is not null))[1] as any_pricing,
        (array_agg(conversation_id) filter (where conversation_id is not null))[1] as any_conversation
      from m group by id
    ), best as (
      -- Per message: the furthest status in this batch (failed first).
      select distinct on (m.id) m.*, array_position(array['sent','delivered','read'], m.status) + 3 as rank, c.any_pricing, c.any_conversation
      from m join carried c on c.id = m.id
      order by m.id, (m.status = 'failed') desc, array_position(array['sent','delivered','read'], m.status) desc
    ), upd as (
      update messages t set
        status = case when ${ADVANCES} then b.status else t.status end,
        error_code = ${errorField("error_code", "b.error_code")},
        error_title = ${errorField("error_title", "b.error_title")},
        error_details = ${errorField("error_details", "b.error_details")},
        error_reason = ${errorField("error_reason", "'meta_error'")},
        conversation_id = coalesce(b.any_conversation, t.conversation_id),
        pricing = coalesce(b.any_pricing, t.pricing),
        updated_at = now()
      from best b
      where t.id = b.id
      returning t.id
    )
    select
      (select json_agg(json_build_object('message_id', m.id, 'wamid', m.wamid, 'status', m.status, 'occurred_at', m.occurred_at,
              'recipient', m.recipient, 'broadcast_id', m.broadcast_id, 'error', case when m.status = 'failed' then json_build_object('code', m.error_code, 'title', m.error_title, 'details', m.error_details, 'reason', 'meta_error') end))
         from ev join m on m.id = ev.message_id and m.status = ev.status) as events,
      (select json_agg(distinct s.wamid) from s where s.wamid not in (select wamid from m)) as unknown,
      (select count(*) from upd) as updated
  `;
}

/** The outgoing events of an applied batch (statuses: what was applied, for Meta's own shape and the client's tag). */
export function appliedFrom(statuses: MetaStatus[], r: AppliedRow): Applied {
  // The client's own biz_opaque_callback_data, as Meta echoed it, without Sandesh's mark.
  const own = new Map(statuses.map((st) => [st.id, readTag(st.biz_opaque_callback_data).clientValue]));
  // Meta's own status behind each event, for endpoints that receive Meta's shape.
  const raw = new Map(statuses.map((st) => [`${st.id}:${st.status}`, st]));
  const events = (r.events ?? []).map((e) => {
    const opaque = own.get(e.wamid);
    return {
      type: `message.${e.status}` as OutgoingEvent["type"],
      timestamp: new Date(e.occurred_at),
      data: { id: e.message_id, wamid: e.wamid, status: e.status, to: e.recipient, ...(e.broadcast_id ? { broadcast_id: e.broadcast_id } : {}), ...(e.error ? { error: e.error } : {}), ...(opaque === undefined ? {} : { biz_opaque_callback_data: opaque }) },
      ...(raw.has(`${e.wamid}:${e.status}`) ? { meta: { status: raw.get(`${e.wamid}:${e.status}`)! } } : {}),
    };
  });
  return { events, unknown: r.unknown ?? [] };
}

/** The send job calls this once it knows the wamids: statuses that outran it are applied now. */
export async function applyBacklogFor(tx: Tx, workspaceId: string, wamids: string[]): Promise<OutgoingEvent[]> {
  // After the wamids' locks, the delete's snapshot holds every backlog row a webhook committed while it held them.
  await lockWamids(tx, wamids);
  const rows = await tx.execute<{ raw: MetaStatus }>(sql`
    delete from status_backlog where wamid in (select value from jsonb_array_elements_text(${JSON.stringify(wamids)}::jsonb))
    returning status->'raw' as raw`);
  return rows.length ? applyStatuses(tx, workspaceId, rows.map((r) => r.raw)) : [];
}

/**
 * Statuses that waited in the backlog naming these messages (their send answers were lost,
 * lib/ingest/reconcile.ts), applied once the messages are settled as outcome unknown.
 */
export async function settleTagged(tx: Tx, workspaceId: string, messageIds: string[]): Promise<OutgoingEvent[]> {
  const ids = JSON.stringify(messageIds);
  const waiting = await tx.execute<{ wamid: string }>(sql`
    select distinct wamid from status_backlog where workspace_id = ${workspaceId}
      and message_id in (select value::uuid from jsonb_array_elements_text(${ids}::jsonb))`);
  if (!waiting.length) return [];
  await lockWamids(tx, waiting.map((w) => w.wamid));
  const rows = await tx.execute<{ raw: MetaStatus }>(sql`
    delete from status_backlog where workspace_id = ${workspaceId}
      and message_id in (select value::uuid from jsonb_array_elements_text(${ids}::jsonb))
    returning status->'raw' as raw`);
  return rows.length ? applyStatuses(tx, workspaceId, rows.map((r) => r.raw)) : [];
}
