import { boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea } from "./types.js";
import { tenantForeignKey, tenantParentKey } from "./tenant-keys.js";
import { workspaces } from "./workspaces.js";

export type ExportStatus = "pending_approval" | "queued" | "producing" | "ready" | "downloaded" | "expired" | "denied" | "failed";
export type ExportSubject = "contacts" | "messages";
export type ExportFormat = "csv" | "jsonl";

/** An export asked for (db/migrations/0030): approved at once up to the threshold, by an owner above it. */
export const dataExports = pgTable(
  "exports",
  {
    id: uuid("id").primaryKey(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    subject: text("subject").$type<ExportSubject>().notNull(),
    format: text("format").$type<ExportFormat>().notNull().default("csv"),
    filter: jsonb("filter").$type<Record<string, unknown>>().notNull().default({}),
    status: text("status").$type<ExportStatus>().notNull(),
    rowCount: integer("row_count").notNull(),
    threshold: integer("threshold").notNull(),
    phonesMasked: boolean("phones_masked").notNull(),
    requesterType: text("requester_type").$type<"user" | "api_key">().notNull(),
    requesterId: text("requester_id").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    runId: uuid("run_id"),
    rowsWritten: integer("rows_written").notNull().default(0),
    bytes: integer("bytes").notNull().default(0),
    error: text("error"),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    downloadedAt: timestamp("downloaded_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [tenantParentKey(t)],
);

/** The produced file, a page of rows per chunk, each sealed with the tenant's vault key. */
export const exportChunks = pgTable(
  "export_chunks",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    exportId: uuid("export_id").notNull(),
    seq: integer("seq").notNull(),
    runId: uuid("run_id").notNull(),
    dataCiphertext: bytea("data_ciphertext").notNull(),
    dataIv: bytea("data_iv").notNull(),
    dataTag: bytea("data_tag").notNull(),
    dataKeyVersion: integer("data_key_version").notNull(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.seq] }), tenantForeignKey(t.workspaceId, t.exportId, dataExports).onDelete("cascade")],
);
