import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { readTag } from "../meta/tag.js";
import type { MetaStatus } from "./payload.js";

/** The Sandesh message a status names through its biz_opaque_callback_data (lib/meta/tag.ts). */
export const taggedMessage = (st: MetaStatus): string | null => readTag(st.biz_opaque_callback_data).messageId;

/**
 * Statuses whose wamid no message carries, naming a message whose send ended "outcome
 * unknown": Meta did take it, so the wamid is attached and the statuses then apply like
 * any other (lib/ingest/statuses.ts lets them move such a message on). A message still
 * `sending` is left alone (its worker may yet record the answer); its statuses wait in
 * the backlog until it records the wamid or its lease lapses. The caller holds the wamids'
 * locks. Answers the wamids attached.
 */
export async function attachTagged(tx: Tx, workspaceId: string, statuses: MetaStatus[]): Promise<Set<string>> {
  const pairs = new Map<string, string>();
  for (const st of statuses) {
    const id = taggedMessage(st);
    if (id && !pairs.has(st.id)) pairs.set(st.id, id);
  }
  if (!pairs.size) return new Set();
  const rows = await tx.execute<{ wamid: string }>(sql`
    update messages t set wamid = p.wamid, updated_at = now()
    from (select distinct on (message_id) * from jsonb_to_recordset(${JSON.stringify([...pairs].map(([wamid, message_id]) => ({ wamid, message_id })))}::jsonb)
          as p(wamid text, message_id uuid) order by message_id, wamid) p
    where t.id = p.message_id and t.workspace_id = ${workspaceId} and t.direction = 'outbound' and t.wamid is null
      and t.status = 'failed' and t.error_reason = 'outcome_unknown'
      and not exists (select 1 from messages o where o.workspace_id = ${workspaceId} and o.wamid = p.wamid)
    returning t.wamid`);
  return new Set(rows.map((r) => r.wamid));
}
