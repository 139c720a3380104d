import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { APP_ROLE } from "../../db/tenant.js";
import { GroupCommit } from "../batch.js";

export interface NewMessage {
  id: string;
  workspaceId: string;
  whatsappNumberId: string;
  recipient: string;
  type: string;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  createdAt: Date;
}

/**
 * Accepted messages are written by group commit: many requests share one transaction,
 * each tenant's rows go in under that tenant's RLS scope (as the application role),
 * and each request's promise settles only when its row is committed. One statement
 * per tenant writes the messages and their `queued` events, with the same text for
 * any batch size, so PostgreSQL plans it once.
 */
export function createMessageWriter(db: Db): GroupCommit<NewMessage> {
  const write = (rows: NewMessage[]) => {
    const byTenant = new Map<string, NewMessage[]>();
    for (const r of rows) (byTenant.get(r.workspaceId) ?? byTenant.set(r.workspaceId, []).get(r.workspaceId)!).push(r);
    return db.transaction(async (tx) => {
      for (const [workspaceId, group] of byTenant) {
        await tx.execute(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`);
        const json = JSON.stringify(group.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })));
        await tx.execute(sql`
          with m as (
            insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, idempotency_key, created_at, updated_at)
            select x."id", x."workspaceId", x."whatsappNumberId", 'outbound', x."recipient", x."type", x."payload", 'queued', x."idempotencyKey", x."createdAt", x."createdAt"
            from jsonb_to_recordset(${json}::jsonb) as x("id" uuid, "workspaceId" uuid, "whatsappNumberId" uuid, "recipient" text, "type" text, "payload" jsonb, "idempotencyKey" text, "createdAt" timestamptz)
            returning id, workspace_id, created_at
          )
          insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key)
          select workspace_id, id, 'queued', created_at, 'local:' || id || ':queued' from m`);
      }
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
  });
}
