import { integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces.js";

export type SupportGrantStatus = "pending" | "approved" | "denied" | "revoked";

/** Support access (db/migrations/0029_support_grants.sql, lib/support). */
export const supportGrants = pgTable("support_grants", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
  operator: text("operator").notNull(),
  reason: text("reason").notNull(),
  hours: integer("hours").notNull().default(4),
  approvedHours: integer("approved_hours"),
  status: text("status").$type<SupportGrantStatus>().notNull().default("pending"),
  /** SHA-256 hex of the `sgr_…` token; the token itself is never stored. */
  tokenHash: text("token_hash").notNull().unique(),
  requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
  approvedBy: uuid("approved_by"),
  approvedAt: timestamp("approved_at", { withTimezone: true }),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  deniedBy: uuid("denied_by"),
  deniedAt: timestamp("denied_at", { withTimezone: true }),
  revokedBy: text("revoked_by"),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});
