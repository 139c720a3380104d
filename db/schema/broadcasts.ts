import { bigint, boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantForeignKey, tenantParentKey } from "./tenant-keys.js";
import { whatsappNumbers } from "./whatsapp-numbers.js";
import { workspaces } from "./workspaces.js";

export type BroadcastStatus = "scheduled" | "running" | "paused" | "completed" | "canceled";
export type TemplateCategory = "MARKETING" | "UTILITY" | "AUTHENTICATION";
export type Audience = { tag: string } | { contact_ids: string[] } | { all: true };
export interface BroadcastTemplate {
  name: string;
  language: { code: string };
  components?: unknown[];
}

/** One template to an audience at a time; the run's progress lives on the row (db/migrations/0016). */
export const broadcasts = pgTable(
  "broadcasts",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    whatsappNumberId: uuid("whatsapp_number_id").notNull(),
    name: text("name").notNull(),
    template: jsonb("template").$type<BroadcastTemplate>().notNull(),
    category: text("category").$type<TemplateCategory>().notNull().default("MARKETING"),
    audience: jsonb("audience").$type<Audience>().notNull(),
    status: text("status").$type<BroadcastStatus>().notNull().default("scheduled"),
    sendAt: timestamp("send_at", { withTimezone: true }).notNull().defaultNow(),
    cursorId: uuid("cursor_id"),
    audienceDone: boolean("audience_done").notNull().default(false),
    targeted: integer("targeted").notNull().default(0),
    skipped: jsonb("skipped").$type<Record<string, number>>().notNull().default({}),
    tierRemaining: integer("tier_remaining"),
    tierDeferred: integer("tier_deferred").notNull().default(0),
    requeue: boolean("requeue").notNull().default(false),
    resumes: integer("resumes").notNull().default(0),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantParentKey(t), tenantForeignKey(t.workspaceId, t.whatsappNumberId, whatsappNumbers)],
);

/** The workspace's prices per category and recipient country calling code. */
export const rateCardEntries = pgTable(
  "rate_card_entries",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    category: text("category").notNull(),
    countryCode: text("country_code").notNull(),
    priceMicros: bigint("price_micros", { mode: "number" }).notNull(),
    currency: text("currency").notNull().default("USD"),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.category, t.countryCode] })],
);
