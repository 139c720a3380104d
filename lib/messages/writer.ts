import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { APP_ROLE, rawExec } from "../../db/tenant.js";
import type { QueuePort } from "../queue/port.js";
import { GroupCommit } from "../batch.js";
import { IDEMPOTENCY_TTL_S } from "../gate/gate.js";

export interface NewMessage {
  id: string;
  workspaceId: string;
  whatsappNumberId: string;
  recipient: string;
  type: string;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  createdAt: Date;
  /** Set by the writer when the idempotency key already names a message: nothing was written. */
  existing?: { id: string; payload: Record<string, unknown> };
  /** Set by the writer when the queue took the job in the same transaction. */
  queued?: boolean;
}

/**
 * Accepted messages are written by group commit: many requests share one transaction,
 * each tenant's rows go in under that tenant's RLS scope (as the application role),
 * and each request's promise settles only when its row is committed. One statement
 * per tenant writes the messages and their `queued` events, with the same text for
 * any batch size, so PostgreSQL plans it once.
 *
 * Idempotency's last line: (workspace, key) is unique in the table. A key Redis has
 * forgotten but the table still holds returns the message it names instead of a second
 * one; a key older than the 24-hour window is released for reuse first.
 */
/** Concurrent write transactions: each holds a pool connection while it commits. */
const WRITER_FLUSHES = 4;

export function createMessageWriter(db: Db, queue: () => QueuePort): GroupCommit<NewMessage> {
  const write = (rows: NewMessage[]) => {
    const byTenant = new Map<string, NewMessage[]>();
    for (const r of rows) (byTenant.get(r.workspaceId) ?? byTenant.set(r.workspaceId, []).get(r.workspaceId)!).push(r);
    const q = queue();
    return db.transaction(async (tx) => {
      for (const [workspaceId, group] of byTenant) {
        await tx.execute(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`);
        const keys = group.flatMap((m) => (m.idempotencyKey ? [m.idempotencyKey] : []));
        if (keys.length) {
          await tx.execute(sql`
            update messages set idempotency_key = null
            where idempotency_key in (select value from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))
              and created_at < now() - make_interval(secs => ${IDEMPOTENCY_TTL_S})`);
        }
        const json = JSON.stringify(group.map(({ existing: _e, ...m }) => ({ ...m, createdAt: m.createdAt.toISOString() })));
        const inserted = await tx.execute<{ id: string }>(sql`
          with m as (
            insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, idempotency_key, created_at, updated_at)
            select x."id", x."workspaceId", x."whatsappNumberId", 'outbound', x."recipient", x."type", x."payload", 'queued', x."idempotencyKey", x."createdAt", x."createdAt"
            from jsonb_to_recordset(${json}::jsonb) as x("id" uuid, "workspaceId" uuid, "whatsappNumberId" uuid, "recipient" text, "type" text, "payload" jsonb, "idempotencyKey" text, "createdAt" timestamptz)
            on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
            returning id, workspace_id, created_at
          ), e as (
            insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key)
            select workspace_id, id, 'queued', created_at, 'local:' || id || ':queued' from m
          )
          select id from m`);
        if (inserted.length === group.length) continue;
        const written = new Set(inserted.map((r) => r.id));
        const lost = group.filter((m) => !written.has(m.id));
        const found = await tx.execute<{ id: string; idempotency_key: string; payload: Record<string, unknown> }>(sql`
          select id, idempotency_key, payload from messages
          where idempotency_key in (select value from jsonb_array_elements_text(${JSON.stringify(lost.map((m) => m.idempotencyKey))}::jsonb))`);
        for (const m of lost) {
          const f = found.find((x) => x.idempotency_key === m.idempotencyKey);
          if (f) m.existing = { id: f.id, payload: f.payload };
        }
      }
      if (!q.insertSendsIn) return;
      const fresh = rows.filter((m) => !m.existing);
      if (fresh.length) await q.insertSendsIn(rawExec(tx), fresh.map((m) => ({ messageId: m.id, workspaceId: m.workspaceId })));
      for (const m of fresh) m.queued = true;
    });
  };
  return new GroupCommit<NewMessage>(async (rows) => {
    try {
      await write(rows);
      return;
    } catch (err) {
      if (rows.length === 1) throw err;
    }
    // One bad row must not fail its neighbours: each alone, each its own answer.
    return Promise.all(rows.map((r) => write([r]).then(() => null, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
  }, { maxInFlight: WRITER_FLUSHES });
}
