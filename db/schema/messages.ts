import { integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { broadcasts } from "./broadcasts.js";
import { contacts } from "./contacts.js";
import { tenantForeignKey, tenantParentKey } from "./tenant-keys.js";
import { whatsappNumbers } from "./whatsapp-numbers.js";
import { workspaces } from "./workspaces.js";

export type MessageStatus = "queued" | "sending" | "retrying" | "sent" | "delivered" | "read" | "failed" | "received" | "canceled";

export const messages = pgTable(
  "messages",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    whatsappNumberId: uuid("whatsapp_number_id").notNull(),
    contactId: uuid("contact_id"),
    /** The broadcast that wrote it; one message per contact per broadcast. */
    broadcastId: uuid("broadcast_id"),
    /** Not sent before then: a broadcast's recipient beyond the messaging tier. */
    notBefore: timestamp("not_before", { withTimezone: true }),
    direction: text("direction").$type<"outbound" | "inbound">().notNull(),
    recipient: text("recipient").notNull(),
    type: text("type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<MessageStatus>().notNull(),
    wamid: text("wamid"),
    errorCode: integer("error_code"),
    errorTitle: text("error_title"),
    errorDetails: text("error_details"),
    /** Why it failed, one stable word (lib/jobs/reasons.ts). */
    errorReason: text("error_reason"),
    idempotencyKey: text("idempotency_key"),
    /** SHA-256 of the request (canonical JSON and route): the idempotency backstop compares it. */
    requestHash: text("request_hash"),
    /** The `template.category` the client declared, as the opt-out check read it. */
    declaredCategory: text("declared_category").$type<"MARKETING" | "UTILITY" | "AUTHENTICATION">(),
    attempts: integer("attempts").notNull().default(0),
    /** `sending`: the claim's lease ends; `retrying`: the next attempt is due by then. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    conversationId: text("conversation_id"),
    pricing: jsonb("pricing").$type<Record<string, unknown>>(),
    /** Content (payload) purged by retention or redacted by erase; the row and its status stay. */
    contentRemovedAt: timestamp("content_removed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // The number and the contact belong to the message's workspace.
  (t) => [tenantParentKey(t), tenantForeignKey(t.workspaceId, t.whatsappNumberId, whatsappNumbers), tenantForeignKey(t.workspaceId, t.contactId, contacts), tenantForeignKey(t.workspaceId, t.broadcastId, broadcasts)],
);

export const messageEvents = pgTable(
  "message_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    messageId: uuid("message_id").notNull(),
    status: text("status").notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    /** Meta retries webhooks for days; the same event must be recorded once. */
    dedupeKey: text("dedupe_key").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.workspaceId, t.dedupeKey), tenantForeignKey(t.workspaceId, t.messageId, messages).onDelete("cascade")],
);
