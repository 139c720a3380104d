import { jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces.js";

/** A WABA's message templates as Meta reports them (status, category, quality: Meta's words). */
export const messageTemplates = pgTable(
  "message_templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    wabaId: text("waba_id").notNull(),
    metaId: text("meta_id"),
    name: text("name").notNull(),
    language: text("language").notNull(),
    category: text("category"),
    status: text("status").notNull(),
    quality: text("quality"),
    rejectedReason: text("rejected_reason"),
    components: jsonb("components").$type<unknown[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.workspaceId, t.wabaId, t.name, t.language)],
);

/** A WABA synced at least once: its catalogue is then authoritative for pre-flight. */
export const templateCatalogues = pgTable(
  "template_catalogues",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    wabaId: text("waba_id").notNull(),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.wabaId] })],
);
