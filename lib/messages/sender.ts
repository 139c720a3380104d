import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";

export interface Sender {
  id: string;
  phoneNumberId: string;
  throughputMps: number;
  messagingTier: string;
  tokenStatus: string;
}

/**
 * The workspace's numbers, cached per process for a few seconds: a number connected
 * elsewhere shows up within SENDERS_TTL_MS. The token never enters this cache.
 */
export const SENDERS_TTL_MS = 10_000;

async function senders(s: Services, workspaceId: string): Promise<Sender[]> {
  const hit = s.caches.senders.get(workspaceId);
  if (hit) return hit;
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx
      .select({ id: whatsappNumbers.id, phoneNumberId: whatsappNumbers.phoneNumberId, throughputMps: whatsappNumbers.throughputMps, messagingTier: whatsappNumbers.messagingTier, tokenStatus: whatsappNumbers.tokenStatus })
      .from(whatsappNumbers),
  );
  s.caches.senders.set(workspaceId, rows);
  return rows;
}

export async function resolveSender(s: Services, workspaceId: string, from: string | undefined): Promise<Sender> {
  const all = await senders(s, workspaceId);
  let pick: Sender | undefined;
  if (from) {
    pick = all.find((n) => n.phoneNumberId === from);
    if (!pick) throw new AppError(422, "unknown_sender", `Phone-number id ${from} is not connected to this workspace`, [{ field: "from", message: "is not a connected phone-number id" }]);
  } else if (all.length === 1) {
    pick = all[0];
  } else if (all.length === 0) {
    throw new AppError(422, "no_whatsapp_number", "Connect a WhatsApp number to this workspace before sending");
  } else {
    throw validationFailed([{ field: "from", message: "is required when the workspace has several numbers" }], "This workspace has several numbers: say which one sends with `from`");
  }
  if (pick!.tokenStatus !== "active") {
    throw new AppError(422, "sender_token_invalid", `Meta refused the token of ${pick!.phoneNumberId}; connect it again with a new token`);
  }
  return pick!;
}
