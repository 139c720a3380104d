import { bigint, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantForeignKey } from "./tenant-keys.js";
import { whatsappNumbers } from "./whatsapp-numbers.js";
import { workspaces } from "./workspaces.js";

export type MediaSource = "upload" | "inbound";

/** A Meta media id and the workspace it belongs to (db/migrations/0017). */
export const media = pgTable(
  "media",
  {
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id, { onDelete: "cascade" }),
    mediaId: text("media_id").notNull(),
    whatsappNumberId: uuid("whatsapp_number_id").notNull(),
    mimeType: text("mime_type").notNull(),
    fileSize: bigint("file_size", { mode: "number" }),
    sha256: text("sha256"),
    source: text("source").$type<MediaSource>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.mediaId] }), tenantForeignKey(t.workspaceId, t.whatsappNumberId, whatsappNumbers).onDelete("cascade")],
);
