import { randomBytes } from "node:crypto";

/**
 * The webhook envelope every Meta notification shares, and Meta-looking ids. Keys are
 * written in the order Meta writes them (`value` before `field`), since receivers sign
 * and log raw bytes.
 */
export interface BusinessRef {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

export interface MetaEnvelope {
  object: "whatsapp_business_account";
  entry: { id: string; changes: { value: Record<string, unknown>; field: "messages" }[] }[];
}

export function messagesEnvelope(biz: BusinessRef, parts: Record<string, unknown>): MetaEnvelope {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: biz.wabaId,
        changes: [
          {
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: biz.displayPhoneNumber, phone_number_id: biz.phoneNumberId },
              ...parts,
            },
            field: "messages",
          },
        ],
      },
    ],
  };
}

/**
 * A wamid shaped like Meta's: "wamid." + base64 of a small binary record holding the
 * user's number and a random uppercase-hex message key (72 random bits: unique enough).
 */
export function newWamid(waId: string): string {
  const number = Buffer.from(waId, "ascii");
  const key = Buffer.from(randomBytes(9).toString("hex").toUpperCase(), "ascii");
  const record = Buffer.concat([Buffer.from([0x1c, 0x18, number.length]), number, Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, key.length]), key, Buffer.from([0x00])]);
  return `wamid.${record.toString("base64")}`;
}

export const newConversationId = () => randomBytes(16).toString("hex");
export const newMediaId = () => String(1_000_000_000_000_000n + BigInt(`0x${randomBytes(6).toString("hex")}`));
export const unixSeconds = (ms: number = Date.now()) => String(Math.floor(ms / 1000));
