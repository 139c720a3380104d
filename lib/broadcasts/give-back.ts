import { withTenantSql } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { BEFORE_EVERY_ID } from "../ids.js";
import { PAGE_SIZE } from "./page.js";
import { statusPage } from "./status-page.js";
import { releaseTier, tierLimit } from "./tier.js";

/**
 * After a pause or a cancel: the broadcast's recipients not handed to Meta (messages in
 * `statuses`) give their room in the number's messaging tier back, page by page, so a
 * halted broadcast does not hold the 24 h window against the number's other sends.
 * Resume takes the room again (requeue.ts). A send withheld at its slot after this has
 * read the rows keeps its room until the next pause, or its send. Answers how many left the tier's set.
 */
export async function giveBackTier(s: Services, workspaceId: string, broadcastId: string, statuses: ("queued" | "retrying" | "canceled")[]): Promise<number> {
  let after = BEFORE_EVERY_ID;
  let released = 0;
  for (;;) {
    const page = await withTenantSql(s.db, workspaceId, async (t) => {
      const [b] = await t<{ number_id: string; tier: string }[]>`
        select b.whatsapp_number_id as number_id, n.messaging_tier as tier from broadcasts b join whatsapp_numbers n on n.id = b.whatsapp_number_id where b.id = ${broadcastId}`;
      if (!b || tierLimit(b.tier) === 0) return null;
      const rows = await statusPage<{ id: string; recipient: string; contact_id: string | null }[]>(t, broadcastId, statuses, after, PAGE_SIZE, "id, recipient, contact_id");
      return { b, rows };
    });
    if (!page) return released;
    released += await releaseTier(s.redis, workspaceId, page.b.number_id, broadcastId, page.rows);
    if (page.rows.length < PAGE_SIZE) return released;
    after = page.rows.at(-1)!.id;
  }
}
