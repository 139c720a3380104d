import { sql } from "drizzle-orm";
import { bigint, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces.js";

/** Append-only: the application role holds INSERT and SELECT, nothing else. */
export const auditLog = pgTable("audit_log", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
  actorType: text("actor_type").$type<"user" | "api_key" | "operator" | "system">().notNull(),
  actorId: text("actor_id"),
  action: text("action").notNull(),
  objectType: text("object_type"),
  objectId: text("object_id"),
  ip: text("ip"),
  userAgent: text("user_agent"),
  details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  // Set by the database on insert (the chain trigger, 0023), whatever the insert says: NOT
  // NULL once written; the "default" only lets an insert leave them to the trigger.
  seq: bigint("seq", { mode: "number" }).notNull().default(sql`null`),
  prevHash: text("prev_hash").notNull().default(sql`null`),
  hash: text("hash").notNull().default(sql`null`),
  detailsDigest: text("details_digest").notNull().default(sql`null`),
  /** Set when a data principal's erasure replaced a number in the details. */
  erasedAt: timestamp("erased_at", { withTimezone: true }),
  erasedDigest: text("erased_digest"),
});

/** Each workspace's chain head: the last seq and hash (locked while a row is appended). */
export const auditChainHeads = pgTable("audit_chain_heads", {
  workspaceId: uuid("workspace_id").primaryKey().references(() => workspaces.id),
  seq: bigint("seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
});
