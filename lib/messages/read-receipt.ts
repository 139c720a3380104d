import { eq } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { postToGraph } from "../meta/client.js";
import { openToken } from "../whatsapp/numbers.js";
import { forwardedBody } from "./forward.js";
import type { ReadReceiptInput } from "./schema.js";
import type { Sender } from "./sender.js";

/** What Meta answered to a read receipt, as it answered it. */
export interface ReadReceiptAnswer {
  status: number;
  json: unknown;
}

/**
 * Mark as read (with a typing indicator or not) goes to Meta at once: it is not a
 * message (nothing is tracked, billed or paced behind a broadcast), and a user waiting
 * for "typing…" cannot wait for a queue. The key's rate limit has counted it already
 * (the send bucket), and the sender must be one of the workspace's numbers. A lost
 * answer is harmless to repeat, so a network failure is a 503 to retry.
 */
export async function sendReadReceipt(s: Services, workspaceId: string, sender: Sender, input: ReadReceiptInput): Promise<ReadReceiptAnswer> {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select().from(whatsappNumbers).where(eq(whatsappNumbers.id, sender.id)));
  if (!row) throw new AppError(422, "unknown_sender", `Phone-number id ${sender.phoneNumberId} is not connected to this workspace`);
  // Just in time, for this one request, as in the send job.
  const token = await openToken(s, row);
  try {
    return await postToGraph({ graphUrl: s.config.meta.graphUrl, apiVersion: s.config.meta.apiVersion, phoneNumberId: row.phoneNumberId }, token, forwardedBody(input.body), s.metaPost);
  } catch (err) {
    s.logger.warn("read receipt not delivered to the Graph API", { workspace_id: workspaceId, error: err });
    throw new AppError(503, "temporarily_unavailable", "The Graph API could not be reached; retry the read receipt", undefined, { "Retry-After": "1" });
  }
}
