import { pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { tenantParentKey } from "./tenant-keys.js";
import { workspaces } from "./workspaces.js";

export const contacts = pgTable(
  "contacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id").notNull().references(() => workspaces.id),
    waId: text("wa_id").notNull(),
    profileName: text("profile_name"),
    optedOutAt: timestamp("opted_out_at", { withTimezone: true }),
    /** Opens Meta's 24-hour customer-service window. */
    lastInboundAt: timestamp("last_inbound_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.workspaceId, t.waId), tenantParentKey(t)],
);
