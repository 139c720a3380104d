import { bigint, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { users } from "./people.js";
import { bytea } from "./types.js";

/**
 * A person's second factor (0021). Person-scoped like users: no workspace_id, RLS on
 * app.user_id (withUser).
 */
export const userTotp = pgTable("user_totp", {
  userId: uuid("user_id").primaryKey().references(() => users.id, { onDelete: "cascade" }),
  // The TOTP secret, sealed by lib/vault with the user as owner: never selected into a response.
  secretCiphertext: bytea("secret_ciphertext").notNull(),
  secretIv: bytea("secret_iv").notNull(),
  secretTag: bytea("secret_tag").notNull(),
  secretKeyVersion: integer("secret_key_version").notNull(),
  /** Null while enrolment awaits its first valid code: until then the factor does not count. */
  confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
  /** The last time step a code was accepted for: that step and every earlier one are spent. */
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Only hashes (lib/factors/recovery-code.ts); a used code keeps its row, marked. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.userId, t.codeHash)],
);
