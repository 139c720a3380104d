import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Per key version, an HMAC of a constant under the derived key: a wrong MASTER_KEK is caught at start. */
export const vaultKeyChecks = pgTable("vault_key_checks", {
  keyVersion: integer("key_version").primaryKey(),
  keyCheck: text("key_check").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
