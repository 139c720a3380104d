import { boolean, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantForeignKey, tenantParentKey } from "./tenant-keys.js";
import { bytea } from "./types.js";
import { workspaces } from "./workspaces.js";

/** A workspace's own receiver of Sandesh's events. */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    url: text("url").notNull(),
    description: text("description"),
    /** null: every event type, including ones added later. */
    events: text("events").array(),
    /** standard: Standard Webhooks; meta: Meta's own envelope, signed X-Hub-Signature-256 (lib/webhooks/meta-format.ts). */
    format: text("format").$type<"standard" | "meta">().notNull().default("standard"),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabled_reason"),
    failingSince: timestamp("failing_since", { withTimezone: true }),
    /** Who made it, and whether its payloads mask phone numbers as its creator's answers do. */
    createdByType: text("created_by_type").$type<"api_key" | "user" | "operator">(),
    createdById: text("created_by_id"),
    masksPhones: boolean("masks_phones").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantParentKey(t)],
);

/** Signing secrets, sealed by lib/vault; more than one only while a rotation overlaps. */
export const webhookEndpointSecrets = pgTable(
  "webhook_endpoint_secrets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    endpointId: uuid("endpoint_id").notNull(),
    secretCiphertext: bytea("secret_ciphertext").notNull(),
    secretIv: bytea("secret_iv").notNull(),
    secretTag: bytea("secret_tag").notNull(),
    secretKeyVersion: integer("secret_key_version").notNull(),
    /** null for the current secret. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantForeignKey(t.workspaceId, t.endpointId, webhookEndpoints).onDelete("cascade")],
);

export type DeliveryStatus = "queued" | "retrying" | "delivered" | "failed";

/** One event for one endpoint: its id is the `webhook-id` header, stable across retries. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    endpointId: uuid("endpoint_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The exact bytes sent, and signed, on every attempt. */
    body: text("body").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    enqueuedAt: timestamp("enqueued_at", { withTimezone: true }),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantParentKey(t), tenantForeignKey(t.workspaceId, t.endpointId, webhookEndpoints).onDelete("cascade")],
);

/** What each attempt got back; append-only for the application role. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    endpointId: uuid("endpoint_id").notNull(),
    deliveryId: uuid("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    responseBody: text("response_body"),
    error: text("error"),
  },
  (t) => [
    tenantForeignKey(t.workspaceId, t.endpointId, webhookEndpoints).onDelete("cascade"),
    tenantForeignKey(t.workspaceId, t.deliveryId, webhookDeliveries).onDelete("cascade"),
  ],
);
