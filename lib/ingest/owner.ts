import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import type { Services } from "../context.js";

export interface NumberOwner {
  workspaceId: string;
  numberId: string;
  /** The WhatsApp Business Account the number belongs to: every webhook entry must name it. */
  wabaId: string;
}

/** Which workspace owns a Meta phone-number id: the narrow SECURITY DEFINER look-up, cached briefly. */
export async function ownerOf(s: Services, tx: Tx, phoneNumberId: string): Promise<NumberOwner | null> {
  const hit = s.caches.numbersByPhoneId.get(phoneNumberId);
  if (hit !== undefined) return hit;
  const [row] = await tx.execute<{ workspace_id: string; number_id: string; waba_id: string }>(sql`select * from sandesh_number_lookup(${phoneNumberId})`);
  const owner = row ? { workspaceId: row.workspace_id, numberId: row.number_id, wabaId: row.waba_id } : null;
  s.caches.numbersByPhoneId.set(phoneNumberId, owner);
  return owner;
}
