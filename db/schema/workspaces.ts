import { boolean, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const workspaces = pgTable("workspaces", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  /** Message content older than this many days is purged (lib/retention); null keeps it. */
  messageRetentionDays: integer("message_retention_days"),
  /** CIDR ranges API keys and sessions may come from; empty allows any address. */
  /** Exports of more rows than this wait for an owner's approval (lib/exports). */
  exportApprovalThreshold: integer("export_approval_threshold").notNull().default(1000),
  ipAllowlist: text("ip_allowlist").array().notNull().default([]),
  /** Every member needs a second factor (TOTP) or a user-verifying passkey sign-in (0021). */
  requireMfa: boolean("require_mfa").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
