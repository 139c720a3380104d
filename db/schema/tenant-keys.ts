import { getTableName } from "drizzle-orm";
import { foreignKey, unique, type AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * Tenant-aware keys (db/migrations/0005_tenant_foreign_keys.sql): a row points at a
 * row of its own workspace only, because the key carries workspace_id on both sides.
 */

/** What a tenant-aware key points at: UNIQUE (workspace_id, id) on the parent. */
export const tenantParentKey = (t: { workspaceId: AnyPgColumn; id: AnyPgColumn }) =>
  unique(`${getTableName(t.id.table)}_workspace_id_id_key`).on(t.workspaceId, t.id);

/** (workspace_id, column) → parent (workspace_id, id), named as the single-column key it replaced. */
export const tenantForeignKey = (workspaceId: AnyPgColumn, column: AnyPgColumn, parent: { workspaceId: AnyPgColumn; id: AnyPgColumn }) =>
  foreignKey({
    name: `${getTableName(column.table)}_${column.name}_fkey`,
    columns: [workspaceId, column],
    foreignColumns: [parent.workspaceId, parent.id],
  });
