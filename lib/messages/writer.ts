import postgres from "postgres";
import { ConnectionLost, DedicatedConnection, type ClientFactory } from "../../db/dedicated.js";
import { go, guard, pipelinedTransaction } from "../../db/pipelined.js";
import { APP_ROLE } from "../../db/tenant.js";
import type { QueuePort, SendJob, SqlExec } from "../queue/port.js";
import { GroupCommit } from "../batch.js";
import { IDEMPOTENCY_TTL_S } from "../gate/gate.js";
import { groupBy } from "../group.js";

export interface NewMessage {
  id: string;
  workspaceId: string;
  whatsappNumberId: string;
  recipient: string;
  type: string;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  /** SHA-256 of the request: what a reused idempotency key is compared by. */
  requestHash?: string | null;
  declaredCategory?: string | null;
  /** Audited with the row, in its transaction: a non-marketing category declared to a contact who opted out. */
  auditDeclared?: { actorId: string; ip: string } | null;
  createdAt: Date;
  /** Set by the writer when the idempotency key already names a message: nothing was written. */
  existing?: { id: string; payload: Record<string, unknown>; requestHash: string | null };
  /** Set by the writer when the queue took the job in the same transaction. */
  queued?: boolean;
}

/**
 * Accepted messages are written by group commit: many requests share one transaction,
 * each tenant's rows go in under that tenant's RLS scope (as the application role),
 * and each request's promise settles only when its row is committed. One statement
 * per tenant writes the messages, with the same text for
 * any batch size, so it is prepared once per connection. When the queue lives in the
 * same PostgreSQL, the jobs go in the same transaction. `queued` needs no event row: the
 * message's created_at is that moment (lib/messages/read.ts puts it first in the history).
 *
 * The statements are pipelined: BEGIN, then every tenant's scope, rows and jobs in one
 * round trip, then COMMIT. They run in order, and an error aborts the transaction, so
 * nothing after a failure takes effect.
 *
 * Idempotency's last line: (workspace, key) is unique in the table. A key Redis has
 * forgotten but the table still holds returns the message it names instead of a second
 * one; a key older than the 24-hour window is released for reuse first.
 */
/**
 * One write transaction at a time: the pipelined flush is one round trip, and rows that
 * arrive meanwhile make the next batch bigger. Measured (bench/accept.ts): 1 in flight
 * gave 2,100-2,600 sends/s against 1,350-2,000 with 2 and ~2,000 with 4.
 */
const WRITER_FLUSHES = 1;

/**
 * A flush that has not committed by then fails its callers with 503 (their gate
 * reservations are returned) and its connection is thrown away: a request never waits
 * on a database that stopped answering. Measured flushes take milliseconds.
 */
export const WRITER_DEADLINE_MS = 5000;

export interface MessageWriter {
  /** Settles when the row (and, with the local queue, its job) is committed, or fails. */
  add(row: NewMessage): Promise<void>;
  /** "down" while a flush is past its deadline or the writer's own connection does not answer. */
  check(): Promise<"ok" | "down">;
  close(): Promise<void>;
}

const KEY_TAKEN = new Error("an idempotency key in the batch is taken; write it carefully");

type Found = { id: string; idempotency_key: string; payload: Record<string, unknown>; request_hash: string | null };

export function createMessageWriter(open: ClientFactory, queue: () => QueuePort, opts: { deadlineMs?: number } = {}): MessageWriter {
  const conn = new DedicatedConnection(open);
  // optimistic: every row's job goes out in the first round trip, as if no idempotency key
  // were already taken; if one was, the transaction is rolled back and written carefully
  // (jobs only for the rows that went in). A taken key means Redis forgot it: rare.
  const write = (rows: NewMessage[], optimistic = true): Promise<void> => {
    // Each attempt decides afresh: an earlier, rolled-back attempt proves nothing.
    for (const r of rows) {
      delete r.existing;
      delete r.queued;
    }
    const byTenant = groupBy(rows, (r) => r.workspaceId);
    const q = queue();
    const jobsOf = (ms: NewMessage[]) => ms.map((m) => ({ messageId: m.id, workspaceId: m.workspaceId }));
    return pipelinedTransaction(conn, async (t, commit, begun) => {
      const scope = (workspaceId: string) => t`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`;
      const sent: Promise<unknown>[] = [begun];
      // Only an idempotency key can turn a row's insert into a no-op: the other rows' jobs
      // (and, optimistically, all of them) go out first, in the same round trip.
      const unkeyed = rows.filter((m) => !m.idempotencyKey);
      const first = optimistic ? rows : unkeyed;
      if (q.insertSendsIn && first.length) sent.push((await sending(q.insertSendsIn, t, jobsOf(first))).done);
      const inserted = new Map<string, postgres.PendingQuery<{ id: string }[]>>();
      for (const [workspaceId, group] of byTenant) {
        sent.push(go(scope(workspaceId)));
        const keys = group.flatMap((m) => (m.idempotencyKey ? [m.idempotencyKey] : []));
        if (keys.length) {
          sent.push(go(t`
            update messages set idempotency_key = null
            where idempotency_key in (select value from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))
              and created_at < now() - make_interval(secs => ${IDEMPOTENCY_TTL_S})`));
        }
        const json = JSON.stringify(group.map(({ existing: _e, queued: _q, auditDeclared: a, ...m }) => ({ ...m, auditActor: a?.actorId ?? null, auditIp: a?.ip ?? null, createdAt: m.createdAt.toISOString() })));
        const ins = t<{ id: string }[]>`
          with m as (
            insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, idempotency_key, request_hash, declared_category, created_at, updated_at)
            select x."id", x."workspaceId", x."whatsappNumberId", 'outbound', x."recipient", x."type", x."payload", 'queued', x."idempotencyKey", x."requestHash", x."declaredCategory", x."createdAt", x."createdAt"
            from jsonb_to_recordset(${json}::jsonb) as x("id" uuid, "workspaceId" uuid, "whatsappNumberId" uuid, "recipient" text, "type" text, "payload" jsonb, "idempotencyKey" text, "requestHash" text, "declaredCategory" text, "createdAt" timestamptz)
            -- Any unique key: a taken idempotency key, or this very id, which an earlier attempt
            -- committed though its answer was lost (a connection that dropped after COMMIT).
            on conflict do nothing
            returning id
          ),
          -- Only for rows that went in: a replayed key audits nothing twice.
          a as (
            insert into audit_log (workspace_id, actor_type, actor_id, action, object_type, object_id, ip, details)
            select x."workspaceId", 'api_key', x."auditActor", 'message.category_declared_to_opted_out', 'message', x."id"::text, x."auditIp", jsonb_build_object('declared_category', x."declaredCategory")
            from jsonb_to_recordset(${json}::jsonb) as x("id" uuid, "workspaceId" uuid, "declaredCategory" text, "auditActor" text, "auditIp" text)
            where x."auditActor" is not null and x."id" in (select id from m)
          )
          select id from m`;
        go(ins);
        inserted.set(workspaceId, ins);
        sent.push(ins);
      }
      const keyedRows = rows.length > unkeyed.length;
      if (!keyedRows) sent.push(commit());
      await Promise.all(sent);
      // Unkeyed rows can only collide with their own id, written by an earlier attempt: done.
      if (!keyedRows) return markQueued(rows, q);

      const written = new Set<string>();
      for (const ins of inserted.values()) for (const r of await ins) written.add(r.id);
      if (optimistic) {
        if (written.size < rows.length) throw KEY_TAKEN;
        await commit();
        return markQueued(rows, q);
      }
      for (const [workspaceId, group] of byTenant) {
        const lost = group.filter((m) => !written.has(m.id));
        if (!lost.length) continue;
        await scope(workspaceId);
        const found = await t<Found[]>`
          select id, idempotency_key, payload, request_hash from messages
          where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(lost.map((m) => m.id))}::jsonb))
             or idempotency_key in (select value from jsonb_array_elements_text(${JSON.stringify(lost.map((m) => m.idempotencyKey).filter(Boolean))}::jsonb))`;
        for (const m of lost) {
          // Its own id: an earlier attempt wrote it (and its job, in that transaction). Written.
          if (found.some((x) => x.id === m.id)) continue;
          const f = found.find((x) => m.idempotencyKey && x.idempotency_key === m.idempotencyKey);
          // Neither written nor found (its holder went away in between): never answer 202 for it.
          if (!f) throw new Error("a message's idempotency key was taken, and its holder is gone; retry");
          m.existing = { id: f.id, payload: f.payload, requestHash: f.request_hash };
        }
      }
      const keyed = rows.filter((m) => m.idempotencyKey && !m.existing);
      if (q.insertSendsIn && keyed.length) await q.insertSendsIn(execIn(t), jobsOf(keyed));
      await commit();
      markQueued(rows, q);
    });
  };
  const writeBatch = (rows: NewMessage[]) => write(rows).catch((err: unknown) => (err === KEY_TAKEN ? write(rows, false) : Promise.reject(err)));
  const deadlineMs = opts.deadlineMs ?? WRITER_DEADLINE_MS;
  const commits = new GroupCommit<NewMessage>(async (rows) => {
    try {
      await writeBatch(rows);
      return;
    } catch (err) {
      // A lost connection fails every row alike; only a row PostgreSQL refused is worth isolating.
      if (rows.length === 1 || !(err instanceof postgres.PostgresError)) throw err;
    }
    // One bad row must not fail its neighbours: each alone (one connection: one after another), each its own answer.
    const results: (Error | null)[] = [];
    for (const r of rows) results.push(await writeBatch([r]).then(() => null, (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
    return results;
  }, {
    maxInFlight: WRITER_FLUSHES,
    deadlineMs,
    deadlineError: () => new ConnectionLost(`the database did not commit within ${deadlineMs} ms`),
    // Whatever the wedged flush waits on goes with its connection; the next flush starts afresh.
    onDeadline: () => conn.discard(),
  });
  return {
    add: (row) => commits.add(row),
    async check() {
      if (commits.wedged) return "down";
      try {
        const s = await conn.session();
        await guard(s)`select 1`;
        return "ok";
      } catch {
        return "down";
      }
    },
    close: () => conn.close(),
  };
}

const markQueued = (rows: NewMessage[], q: QueuePort) => {
  if (q.insertSendsIn) for (const m of rows) if (!m.existing) m.queued = true;
};

/** A library's statement (text and positional values), sent now on our connection, prepared once per connection. */
const execIn = (t: postgres.Sql): SqlExec => (text, values) => go(t.unsafe(text, values as never[], { prepare: true })).then((r) => [...r]);

/**
 * Starts the queue's insert and answers once its statement is on the wire (the library
 * builds it asynchronously), so statements sent after it run after it.
 */
async function sending(insert: NonNullable<QueuePort["insertSendsIn"]>, t: postgres.Sql, jobs: SendJob[]): Promise<{ done: Promise<void> }> {
  let onWire!: () => void;
  const wired = new Promise<void>((r) => (onWire = r));
  const exec = execIn(t);
  const done = insert((text, values) => {
    const rows = exec(text, values);
    onWire();
    return rows;
  }, jobs);
  // Wrapped: an async function answering a promise would wait for it.
  await Promise.race([wired, done]);
  return { done };
}
