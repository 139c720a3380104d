import { bigint, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { bytea } from "./types.js";
import { tenantForeignKey, tenantParentKey } from "./tenant-keys.js";
import { workspaces } from "./workspaces.js";

export type ContactAttributes = Record<string, string | number>;

export const contacts = pgTable(
  "contacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    waId: text("wa_id").notNull(),
    /** The name the business gave; profileName is the one WhatsApp reported. */
    name: text("name"),
    profileName: text("profile_name"),
    attributes: jsonb("attributes").$type<ContactAttributes>().notNull().default({}),
    tags: text("tags").array().notNull().default([]),
    /** Current consent; the history is contactConsentEvents. Opting out clears the opt-in. */
    marketingOptInAt: timestamp("marketing_opt_in_at", { withTimezone: true }),
    marketingOptInSource: text("marketing_opt_in_source"),
    optedOutAt: timestamp("opted_out_at", { withTimezone: true }),
    optedOutSource: text("opted_out_source"),
    /** Opens Meta's 24-hour customer-service window. */
    lastInboundAt: timestamp("last_inbound_at", { withTimezone: true }),
    /** Set by erase (lib/principals): waId then holds the keyed hash of the number. */
    erasedAt: timestamp("erased_at", { withTimezone: true }),
    /** Milliseconds, as the list's cursor carries them. */
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.workspaceId, t.waId), tenantParentKey(t)],
);

/** Every change of marketing consent, as evidence: who, when, how, about which number. Never updated; outlives its contact. */
export const contactConsentEvents = pgTable(
  "contact_consent_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    /** Null once the contact is deleted: the row, and its number, stay as evidence. */
    contactId: uuid("contact_id"),
    /** Filled from the contact by the database (a trigger) when the row is written. */
    waId: text("wa_id").notNull(),
    consent: text("consent").$type<"opt_in" | "opt_out">().notNull(),
    source: text("source").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // ON DELETE SET NULL (contact_id) in SQL (db/migrations/0028): drizzle has no column list.
  (t) => [tenantForeignKey(t.workspaceId, t.contactId, contacts).onDelete("set null")],
);

export type ImportStatus = "receiving" | "queued" | "running" | "completed" | "failed";

export const contactImports = pgTable(
  "contact_imports",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    status: text("status").$type<ImportStatus>().notNull(),
    rowsRead: integer("rows_read").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    error: text("error"),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** The header's column names, lower-cased: the run parses the rest with them. */
    header: text("header").array(),
    receivedAt: timestamp("received_at", { withTimezone: true }),
    bytesTotal: bigint("bytes_total", { mode: "number" }),
    /** The checkpoint: bytes and lines of the body done (a record boundary), moved with the rows they cover. */
    bytesDone: bigint("bytes_done", { mode: "number" }).notNull().default(0),
    linesDone: integer("lines_done").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantParentKey(t)],
);

/** An import's body as it arrived, in order; deleted when the import ends. */
export const contactImportChunks = pgTable(
  "contact_import_chunks",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    importId: uuid("import_id").notNull(),
    seq: integer("seq").notNull(),
    startByte: bigint("start_byte", { mode: "number" }).notNull(),
    data: bytea("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.seq] }), tenantForeignKey(t.workspaceId, t.importId, contactImports).onDelete("cascade")],
);

/** The first errors of an import, by CSV line; contactImports.failed counts them all. */
export const contactImportErrors = pgTable(
  "contact_import_errors",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    importId: uuid("import_id").notNull(),
    line: integer("line").notNull(),
    message: text("message").notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.line] }), tenantForeignKey(t.workspaceId, t.importId, contactImports).onDelete("cascade")],
);
