import { integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantParentKey } from "./tenant-keys.js";
import { bytea } from "./types.js";
import { workspaces } from "./workspaces.js";

export const whatsappNumbers = pgTable(
  "whatsapp_numbers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    phoneNumberId: text("phone_number_id").notNull().unique(),
    wabaId: text("waba_id").notNull(),
    displayNumber: text("display_number"),
    messagingTier: text("messaging_tier").notNull().default("TIER_250"),
    throughputMps: integer("throughput_mps").notNull().default(80),
    // The Meta access token, sealed by lib/vault: never selected into a response.
    tokenCiphertext: bytea("token_ciphertext").notNull(),
    tokenIv: bytea("token_iv").notNull(),
    tokenTag: bytea("token_tag").notNull(),
    tokenKeyVersion: integer("token_key_version").notNull(),
    tokenStatus: text("token_status").$type<"active" | "needs_new_token">().notNull().default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantParentKey(t)],
);
