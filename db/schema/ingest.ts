import { boolean, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { tenantForeignKey } from "./tenant-keys.js";
import { whatsappNumbers } from "./whatsapp-numbers.js";
import { workspaces } from "./workspaces.js";

/** Meta's 24-hour customer-service window, per contact and business number. */
export const customerWindows = pgTable(
  "customer_windows",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    whatsappNumberId: uuid("whatsapp_number_id").notNull(),
    waId: text("wa_id").notNull(),
    lastInboundAt: timestamp("last_inbound_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.whatsappNumberId, t.waId] }),
    tenantForeignKey(t.workspaceId, t.whatsappNumberId, whatsappNumbers).onDelete("cascade"),
  ],
);

/** Statuses for a wamid not yet recorded (Meta can outrun the send job); applied when it is. */
export const statusBacklog = pgTable(
  "status_backlog",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    wamid: text("wamid").notNull(),
    status: jsonb("status").$type<Record<string, unknown>>().notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    /** The Sandesh message its biz_opaque_callback_data names, when the wamid is unknown. */
    messageId: uuid("message_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.workspaceId, t.dedupeKey)],
);

/**
 * Items of a signed Meta webhook that could not be applied, kept instead of failing the
 * delivery (migration 0008). workspace_id is NULL when no workspace can be named (an
 * unknown number, a WABA that is not the number's): those rows are the operator's alone.
 */
export const metaDeadLetters = pgTable(
  "meta_dead_letters",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").references(() => workspaces.id),
    phoneNumberId: text("phone_number_id"),
    wabaId: text("waba_id"),
    kind: text("kind").$type<"delivery" | "entry" | "change" | "status" | "message" | "contact">().notNull(),
    reason: text("reason").notNull(),
    problems: jsonb("problems").$type<{ path: string; message: string }[]>().notNull().default([]),
    item: text("item").notNull(),
    truncated: boolean("truncated").notNull().default(false),
    dedupeKey: text("dedupe_key").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("meta_dead_letters_dedupe").on(t.workspaceId, t.dedupeKey).nullsNotDistinct()],
);
