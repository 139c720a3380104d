import { userTotp } from "../../db/schema/index.js";
import type { FieldRef, Sealed } from "../vault/vault.js";

/**
 * The TOTP secret's additional authenticated data names the table, the purpose and the
 * person: a ciphertext copied into another person's row does not open.
 */
export const totpSecretField = (userId: string): FieldRef => ({ table: "user_totp", column: "secret", rowId: userId, userId });

export const sealedSecret = (r: typeof userTotp.$inferSelect): Sealed => ({
  ciphertext: r.secretCiphertext,
  iv: r.secretIv,
  tag: r.secretTag,
  keyVersion: r.secretKeyVersion,
});
