import { bigint, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces.js";

export type DataAccessActor = "user" | "api_key" | "support";

/** Reads of personal data (db/migrations/0038_data_access.sql, lib/access). Append-only: INSERT and SELECT for the app. */
export const dataAccess = pgTable("data_access", {
  id: bigint("id", { mode: "number" }).generatedAlwaysAsIdentity(),
  workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
  actorType: text("actor_type").$type<DataAccessActor>().notNull(),
  actorId: text("actor_id").notNull(),
  ip: text("ip"),
  method: text("method").notNull(),
  route: text("route").notNull(),
  objectId: text("object_id"),
  resultCount: integer("result_count"),
  status: integer("status").notNull(),
  at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.workspaceId, t.id] })]);
