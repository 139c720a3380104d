import { and, eq } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";
import type { FieldRef } from "../vault/vault.js";
import { sendersChanged } from "../messages/sender.js";

export interface ConnectNumber {
  workspaceId: string;
  phoneNumberId: string;
  wabaId: string;
  token: string;
  displayNumber?: string;
  throughputMps?: number;
}

export interface NumberView {
  id: string;
  workspace_id: string;
  phone_number_id: string;
  waba_id: string;
  display_number: string | null;
  messaging_tier: string;
  throughput_mps: number;
  token_status: string;
}

/** Meta's access tokens are far longer; anything shorter is a paste gone wrong. */
export const MIN_TOKEN_LENGTH = 16;

export const tokenField = (rowId: string, workspaceId: string): FieldRef => ({ table: "whatsapp_numbers", column: "token", rowId, workspaceId });

export const numberView = (r: typeof whatsappNumbers.$inferSelect): NumberView => ({
  id: r.id,
  workspace_id: r.workspaceId,
  phone_number_id: r.phoneNumberId,
  waba_id: r.wabaId,
  display_number: r.displayNumber,
  messaging_tier: r.messagingTier,
  throughput_mps: r.throughputMps,
  token_status: r.tokenStatus,
});

/**
 * Connects a number, or gives a connected one a new token. The token is sealed
 * before it reaches the database and never comes back out of this function.
 */
/** `token_replaced`: the number was already connected here, and its token is now the new one. */
export type ConnectedNumber = NumberView & { token_replaced: boolean };

export async function connectNumber(s: Services, input: ConnectNumber, actor: Pick<AuditEntry, "actorType" | "actorId">): Promise<ConnectedNumber> {
  if (!/^\d{1,32}$/.test(input.phoneNumberId)) throw validationFailed(undefined, "phone-number id must be Meta's numeric id");
  if (!/^\d{1,32}$/.test(input.wabaId)) throw validationFailed(undefined, "WABA id must be Meta's numeric id");
  if (input.token.length < MIN_TOKEN_LENGTH) throw validationFailed(undefined, "the Meta access token looks too short");

  const connected = await withTenant(s.db, input.workspaceId, async (tx) => {
    const [existing] = await tx.select({ id: whatsappNumbers.id }).from(whatsappNumbers).where(eq(whatsappNumbers.phoneNumberId, input.phoneNumberId));
    const id = existing?.id ?? crypto.randomUUID();
    const sealed = await s.vault.seal(input.token, tokenField(id, input.workspaceId));
    const values = {
      wabaId: input.wabaId,
      displayNumber: input.displayNumber ?? null,
      ...(input.throughputMps ? { throughputMps: input.throughputMps } : {}),
      tokenCiphertext: sealed.ciphertext,
      tokenIv: sealed.iv,
      tokenTag: sealed.tag,
      tokenKeyVersion: sealed.keyVersion,
      tokenStatus: "active" as const,
      updatedAt: s.clock.now(),
    };
    let row;
    try {
      [row] = existing
        ? await tx.update(whatsappNumbers).set(values).where(and(eq(whatsappNumbers.id, id))).returning()
        : await tx.insert(whatsappNumbers).values({ id, workspaceId: input.workspaceId, phoneNumberId: input.phoneNumberId, ...values }).returning();
    } catch (err) {
      // The number is connected to another workspace (RLS hides it, the unique index does not).
      if ((err as { code?: string }).code === "23505" || (err as { cause?: { code?: string } }).cause?.code === "23505") {
        throw new AppError(409, "conflict", "This phone-number id is connected to another workspace");
      }
      throw err;
    }
    await recordAudit(tx, { ...actor, workspaceId: input.workspaceId, action: existing ? "whatsapp.token_replaced" : "whatsapp.connected", objectType: "whatsapp_number", objectId: id, details: { phone_number_id: input.phoneNumberId, waba_id: input.wabaId } });
    return { ...numberView(row!), token_replaced: existing !== undefined };
  });
  // After the commit, so a process that sees the new stamp also sees the new row.
  await sendersChanged(s, input.workspaceId);
  return connected;
}

/** Just-in-time decryption for the send job: the plaintext lives only in the caller's memory. */
export async function openToken(s: Services, row: typeof whatsappNumbers.$inferSelect): Promise<string> {
  return s.vault.open(
    { ciphertext: row.tokenCiphertext, iv: row.tokenIv, tag: row.tokenTag, keyVersion: row.tokenKeyVersion },
    tokenField(row.id, row.workspaceId),
  );
}
