import { bigint, boolean, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./people.js";
import { bytea } from "./types.js";

/** A person's WebAuthn credentials (migration 0020); person-scoped: RLS on app.user_id. */
export const passkeys = pgTable("passkeys", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  /** base64url, as the authenticator made it. */
  credentialId: text("credential_id").notNull().unique(),
  /** COSE key: what every sign-in's signature is checked against. */
  publicKey: bytea("public_key").notNull(),
  /** user.id given to the authenticator (base64url, random per person). */
  userHandle: text("user_handle").notNull(),
  name: text("name").notNull(),
  signCount: bigint("sign_count", { mode: "number" }).notNull().default(0),
  transports: jsonb("transports").$type<string[]>().notNull().default([]),
  aaguid: uuid("aaguid").notNull(),
  backupEligible: boolean("backup_eligible").notNull(),
  backedUp: boolean("backed_up").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
});
