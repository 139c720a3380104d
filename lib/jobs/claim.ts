import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { whatsappNumbers } from "../../db/schema/index.js";
import { settleTagged } from "../ingest/statuses.js";
import type { OutgoingEvent } from "../webhooks/emit.js";
import { CLAIM_RELEASED, failedEvent, LEASE_LAPSED, SENDING_LEASE_MS } from "./endings.js";

export type Number = typeof whatsappNumbers.$inferSelect;
export type Claimed = {
  id: string;
  whatsapp_number_id: string;
  recipient: string;
  payload: Record<string, unknown>;
  attempts: number;
  broadcast_id: string | null;
  contact_id: string | null;
};

export const idList = (ids: string[]) => sql`(select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

const idArray = (ids: string[]) => sql`array(select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
const FENCE_COLUMNS = sql.raw("id, workspace_id, status, attempts, broadcast_id, claimed_until, updated_at");

/** These messages as the statement's snapshot has them, by primary key (a read: nothing locked), for a `materialized` CTE. */
export const messagesByIds = (ids: string[]) => sql`select ${FENCE_COLUMNS} from messages where id = any(${idArray(ids)})`;

/**
 * These messages, locked (as the update that follows would lock them), for a
 * `materialized` CTE that the statement's conditions then read instead of the table's.
 * Why: a condition on `status` beside the ids lets the planner walk an index on status
 * instead, and while a broadcast is being queued the statistics say few messages are
 * `queued` or `sending` when tens of thousands are. A claim of 50 then read every queued
 * message of the workspace (60 ms at 100,000, most of PostgreSQL's CPU in the broadcast
 * bench). Behind this fence the ids are the only way in: 50 primary-key lookups. The
 * status read here is the latest committed (FOR NO KEY UPDATE waits for a writer).
 *
 * `where` (over the columns above): lock only the messages the statement's snapshot says
 * match, as an update or a select for update with that condition would (the others stay
 * unlocked, so a sweep holds no row it does not change); `matches` answers whether the
 * latest committed version, once locked, still does, and the statement reads that.
 * `strength`: the lock a select for update took where one did.
 */
export function lockedByIds(ids: string[], opts: { where?: SQL; strength?: "update" | "no key update" } = {}) {
  const keys = opts.where ? sql`array(with m as materialized (${messagesByIds(ids)}) select id from m where ${opts.where})` : idArray(ids);
  return sql`select ${FENCE_COLUMNS}, ${opts.where ?? sql`true`} as matches from messages where id = any(${keys}) for ${sql.raw(opts.strength ?? "no key update")}`;
}

/**
 * What the claim, the posting mark and the recorded answer each lock (lockedByIds): only
 * rows they may change, as their updates did. Locking every id of a batch held rows
 * another worker was sending, or a duplicate job's `sent` ones, through the rest of the
 * transaction, a wait (and a deadlock with a release or a webhook's wamid locks) that
 * could not happen before.
 */
const CLAIMABLE = sql`status in ('queued', 'retrying')`;
export const SENDING = sql`status = 'sending'`;

/**
 * Claims what it can of a batch, inside the workspace's transaction: a conditional
 * update (queued|retrying → sending, with a lease), so a redelivered job finds nothing
 * to claim. A message still `sending` past its lease was held by a worker that stopped:
 * with no posting mark for that claim it provably never reached Meta and is claimed
 * again; with one, Meta may have it, so it is failed as outcome unknown and never sent
 * again, and any status Meta already sent naming it settles it at once.
 */
export async function claimBatch(tx: Tx, workspaceId: string, ids: string[], now: Date) {
  const at = now.toISOString();
  await releaseUnposted(tx, ids, now);
  const claimed = await tx.execute<Claimed>(sql`
    with c as materialized (${lockedByIds(ids, { where: CLAIMABLE })})
    update messages t set status = 'sending', attempts = t.attempts + 1, updated_at = ${at},
      claimed_until = ${new Date(now.getTime() + SENDING_LEASE_MS).toISOString()}
    from c
    where t.id = c.id and c.matches
      and (c.broadcast_id is null or c.broadcast_id in (select b.id from broadcasts b where b.status = 'running'))
    returning t.id, t.whatsapp_number_id, t.recipient, t.payload, t.attempts, t.broadcast_id, t.contact_id`);
  const got = new Set(claimed.map((c) => c.id));
  const rest = ids.filter((id) => !got.has(id));
  // A paused broadcast's message waits as queued (resume gives it a job again); a canceled one's ends.
  const held = rest.length ? await holdForBroadcast(tx, rest, at) : [];
  const events: OutgoingEvent[] = rest.length ? await failLapsed(tx, rest, now) : [];
  // Still `sending` inside the lease: another worker holds it, or one died moments ago.
  const inFlight = rest.length
    ? (await tx.execute<{ id: string }>(sql`with c as materialized (${messagesByIds(rest)}) select id from c where status = 'sending'`)).map((r) => r.id)
    : [];
  const numberIds = [...new Set(claimed.map((c) => c.whatsapp_number_id))];
  const numbers = numberIds.length ? await tx.select().from(whatsappNumbers).where(sql`${whatsappNumbers.id} in ${idList(numberIds)}`) : [];
  if (events.length) events.push(...(await settleTagged(tx, workspaceId, events.map((e) => e.data.id as string))));
  return { claimed, events, held, inFlight: new Set(inFlight), numbers: new Map(numbers.map((n) => [n.id, n])) };
}

/** The posting mark of a claim: an event row written (and committed) before its POST leaves. */
const markKey = (t: string) => sql.raw(`'local:' || ${t}.id || ':sending:' || ${t}.attempts`);

/**
 * Marks claims as about to be posted, each only if it is still this worker's (`sending`
 * at this attempt): a mark is committed before its POST leaves, so a lapsed claim with no
 * mark provably never reached Meta. The row is locked with the mark, so a release (below)
 * either sees it or has already taken the claim back. Locked, not updated: an update
 * wrote a new version of the row and of its ten index entries per send for nothing the
 * row shows. Answers the ids marked.
 */
export async function markPosting(tx: Tx, claims: PostingClaim[]): Promise<Set<string>> {
  const rows = await tx.execute<{ id: string }>(markStatement(claims));
  return new Set(rows.map((r) => r.id));
}

/** A claim about to be posted: the message and the attempt its claim counted. */
export interface PostingClaim {
  id: string;
  attempts: number;
}

/**
 * markPosting's statement, for a writer that sends it on a connection of its own
 * (lib/jobs/mark-writer.ts). Answers the claims marked, by id and attempt: one flush may
 * hold a message twice, a stale claim whose lease lapsed beside the claim that took it back.
 */
export function markStatement(claims: PostingClaim[]): SQL {
  return sql`
    with c as materialized (${lockedByIds(claims.map((c) => c.id), { where: SENDING })}), m as (
      select c.id, c.workspace_id, c.attempts
      from c join jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) as x(id uuid, attempts int) on x.id = c.id
      where c.matches and c.attempts = x.attempts
    ), ev as (
      insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
      select workspace_id, id, 'sending', now(), ${markKey("m")}, jsonb_build_object('attempt', attempts) from m
      on conflict do nothing)
    select id, attempts from m`;
}

/**
 * Lapsed claims (`sending` past the lease) with no posting mark: the worker stopped before
 * posting, so nothing reached Meta and the message goes back to `retrying`, due at once.
 * The rows are locked first, then the marks read with a fresh snapshot: a mark committed
 * meanwhile is seen, and a mark not yet written will find the claim gone. Claims from
 * before leases (no claimed_until) are never released: nothing says they were not posted.
 */
export async function releaseUnposted(tx: Tx, ids: string[], now: Date): Promise<string[]> {
  const at = now.toISOString();
  // Both statements reach the messages by primary key (lockedByIds): the lapsed are few, the `sending` many.
  const lapsed = await tx.execute<{ id: string }>(sql`
    with c as materialized (${lockedByIds(ids, { where: sql`status = 'sending' and claimed_until < ${at}`, strength: "update" })})
    select id from c where matches`);
  if (!lapsed.length) return [];
  const released = await tx.execute<{ id: string }>(sql`
    with c as materialized (${lockedByIds(lapsed.map((r) => r.id))})
    update messages t set status = 'retrying', claimed_until = ${new Date(now.getTime() - 1).toISOString()},
      error_title = coalesce(t.error_title, ${CLAIM_RELEASED}), updated_at = ${at}
    from c
    where t.id = c.id and c.status = 'sending'
      and not exists (select 1 from message_events e where e.workspace_id = c.workspace_id and e.dedupe_key = ${markKey("c")})
    returning t.id`);
  return released.map((r) => r.id);
}

export type Held = { id: string; recipient: string; contact_id: string | null; broadcast_id: string; whatsapp_number_id: string };

/**
 * Messages of a paused broadcast that were due a retry go back to `queued`, for resume to
 * queue; no attempt is spent. A canceled broadcast's end `canceled` (a send held back
 * after the cancel had ended the others). Answers them (their tier room is given back:
 * lib/broadcasts/tier.ts).
 */
export async function holdForBroadcast(tx: Tx, ids: string[], at: string): Promise<Held[]> {
  return [
    ...(await tx.execute<Held>(sql`
    with c as materialized (${lockedByIds(ids, {
      where: sql`(status = 'retrying' and broadcast_id in (select id from broadcasts where status = 'paused'))
        or (status in ('queued', 'retrying') and broadcast_id in (select id from broadcasts where status = 'canceled'))`,
    })})
    update messages t set status = case when b.status = 'paused' then 'queued' else 'canceled' end, claimed_until = null, updated_at = ${at}
    from c join broadcasts b on b.id = c.broadcast_id
    where t.id = c.id and c.matches
    returning t.id, t.recipient, t.contact_id, t.broadcast_id, t.whatsapp_number_id`)),
  ];
}

/** `sending` past the lease → failed, outcome unknown (with its event); answers the events. */
export async function failLapsed(tx: Tx, ids: string[], now: Date): Promise<OutgoingEvent[]> {
  const at = now.toISOString();
  const lapsed = await tx.execute<{ id: string; recipient: string }>(sql`
    with c as materialized (${lockedByIds(ids, { where: sql`status = 'sending' and coalesce(claimed_until, updated_at + ${`${SENDING_LEASE_MS} milliseconds`}::interval) < ${at}` })}),
    stale as (
      update messages t set status = 'failed', error_code = null, error_title = ${LEASE_LAPSED}, error_details = null,
        error_reason = 'outcome_unknown', updated_at = ${at}
      from c where t.id = c.id and c.matches
      returning t.id, t.workspace_id, t.recipient), ev as (
      insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key, details)
      select workspace_id, id, 'failed', ${at}, 'local:' || id || ':failed', '{"reason":"outcome_unknown"}' from stale
      on conflict do nothing)
    select id, recipient from stale`);
  return lapsed.map((m) => failedEvent(m.id, m.recipient, { code: null, title: LEASE_LAPSED, details: null, reason: "outcome_unknown" }, now));
}
