import { and, asc, gt } from "drizzle-orm";
import { contacts } from "../../db/schema/index.js";
import type { Tx } from "../../db/client.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import { attributeNamesInUse, MAX_WORKSPACE_ATTRIBUTES } from "./attribute-names.js";
import { csvLine, FIXED_COLUMNS } from "./csv.js";
import type { PhoneView } from "../permissions/phones.js";

const PAGE = 1000;
/** Attribute columns an export may have: names written before the workspace limit existed may exceed it. */
export const MAX_EXPORT_ATTRIBUTES = MAX_WORKSPACE_ATTRIBUTES;

/**
 * GET /v1/contacts/export: the CSV the import reads (wa_id, name, tags, opt_in, opt_out,
 * then one column per attribute name in use), streamed page by page in id order, each
 * page its own short transaction: memory holds one page, whatever the book's size.
 * opt_in / opt_out carry the time of the current consent, so the file imports back as a no-op.
 * Numbers as `phones` shows them to the caller (masked, the file no longer imports back).
 * `maxRows`: no more rows than that (the count the export-approval threshold was checked
 * against), however the book grows while the file streams.
 */
export async function exportContacts(s: Services, workspaceId: string, phones: PhoneView, maxRows = Infinity): Promise<ReadableStream<Uint8Array>> {
  const attributeColumns = await withTenant(s.db, workspaceId, exportColumns);
  const encoder = new TextEncoder();
  let after: string | null = null;
  let headerSent = false;
  let left = maxRows;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvLine([...FIXED_COLUMNS, ...attributeColumns])));
        return;
      }
      const cursor = after;
      const limit = Math.min(PAGE, left);
      const rows = limit > 0 ? await withTenant(s.db, workspaceId, (tx) => tx.select().from(contacts).where(cursor ? and(gt(contacts.id, cursor)) : undefined).orderBy(asc(contacts.id)).limit(limit)) : [];
      if (!rows.length) return controller.close();
      after = rows[rows.length - 1]!.id;
      left -= rows.length;
      let chunk = "";
      for (const r of rows) chunk += csvLine(contactCells(r, attributeColumns, phones));
      controller.enqueue(encoder.encode(chunk));
      if (rows.length < limit || left <= 0) controller.close();
    },
  });
}

/** The attribute columns of an export: every name in use, refused past the workspace limit. */
export async function exportColumns(tx: Tx): Promise<string[]> {
  const names = await attributeNamesInUse(tx);
  if (names.size > MAX_EXPORT_ATTRIBUTES) {
    throw validationFailed(
      [{ field: "attributes", message: `the workspace's contacts use more than ${MAX_EXPORT_ATTRIBUTES} attribute names (one column each); remove some (PATCH /v1/contacts/{id} with the name set to null) to export` }],
      `An export has at most ${MAX_EXPORT_ATTRIBUTES} attribute columns`,
    );
  }
  return [...names];
}

/** One contact as the export's cells: the columns the import reads. */
export function contactCells(r: typeof contacts.$inferSelect, attributeColumns: string[], phones: PhoneView): string[] {
  const attrs = r.attributes as Record<string, string | number>;
  return [
    phones(r.waId),
    r.name ?? "",
    r.tags.join(";"),
    r.marketingOptInAt?.toISOString() ?? "",
    r.optedOutAt?.toISOString() ?? "",
    ...attributeColumns.map((k) => (attrs[k] === undefined ? "" : String(attrs[k]))),
  ];
}
