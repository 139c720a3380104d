import { messageEvents, messages } from "../../db/schema/index.js";
import type { Db } from "../../db/client.js";
import { asApp, switchTenant } from "../../db/tenant.js";
import { GroupCommit } from "../batch.js";

export type NewMessage = typeof messages.$inferInsert & { workspaceId: string; id: string; createdAt: Date };

/**
 * Accepted messages are written by group commit: every row goes in with its tenant
 * set (RLS checks each insert), many requests share one transaction, and each
 * request's promise settles only when its row is committed.
 */
export function createMessageWriter(db: Db): GroupCommit<NewMessage> {
  const write = (rows: NewMessage[]) => {
    const byTenant = new Map<string, NewMessage[]>();
    for (const r of rows) (byTenant.get(r.workspaceId) ?? byTenant.set(r.workspaceId, []).get(r.workspaceId)!).push(r);
    return asApp(db, async (tx) => {
      for (const [workspaceId, group] of byTenant) {
        await switchTenant(tx, workspaceId);
        await tx.insert(messages).values(group);
        await tx.insert(messageEvents).values(group.map((m) => ({ workspaceId, messageId: m.id, status: "queued", occurredAt: m.createdAt, dedupeKey: `local:${m.id}:queued` })));
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
