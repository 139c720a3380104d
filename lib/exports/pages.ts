import { and, asc, gt } from "drizzle-orm";
import * as v from "valibot";
import type { Tx } from "../../db/client.js";
import { contacts, messages, type dataExports } from "../../db/schema/index.js";
import { contactCells, exportColumns } from "../contacts/export.js";
import { csvLine, FIXED_COLUMNS } from "../contacts/csv.js";
import type { Vault } from "../vault/vault.js";
import { maskMetaShaped, maskPhone, wamidMask, type PhoneView } from "../permissions/phones.js";
import { ContactsFilter, contactsWhere, MessagesFilter, messagesWhere } from "./schema.js";

/** Rows per chunk: one page read, rendered and sealed at a time, whatever the export's size. */
export const EXPORT_PAGE_ROWS = 1000;

type Export = typeof dataExports.$inferSelect;
export interface Page {
  text: string;
  rows: number;
  /** The keyset cursor after this page (row ids in order); null: this was the last. */
  after: string | null;
}

const MESSAGE_COLUMNS = ["id", "created_at", "direction", "contact", "type", "status", "wamid", "error_code", "error_title", "broadcast_id", "content"];

/**
 * The file's pages, read in id order inside the caller's transactions: the header (CSV),
 * then EXPORT_PAGE_ROWS rows a page. Numbers as the requester was shown them when asking.
 */
export function exportReader(ex: Export, vault: Vault) {
  const phones: PhoneView = ex.phonesMasked ? maskPhone : (x) => x;
  const wamids = wamidMask(vault, ex.workspaceId);
  const csv = ex.format === "csv";
  if (ex.subject === "contacts") {
    const where = contactsWhere(v.parse(ContactsFilter, ex.filter));
    let columns: string[] | null = null;
    return {
      async header(tx: Tx): Promise<string> {
        columns = await exportColumns(tx);
        return csv ? csvLine([...FIXED_COLUMNS, ...columns]) : "";
      },
      async page(tx: Tx, after: string | null, limit = EXPORT_PAGE_ROWS): Promise<Page> {
        if (limit <= 0) return { text: "", rows: 0, after: null };
        const rows = await tx.select().from(contacts).where(and(where, after ? gt(contacts.id, after) : undefined)).orderBy(asc(contacts.id)).limit(limit);
        const cols = columns ?? [];
        const text = rows
          .map((r) =>
            csv
              ? csvLine(contactCells(r, cols, phones))
              : `${JSON.stringify({ wa_id: phones(r.waId), name: r.name, tags: r.tags, attributes: r.attributes, opt_in: r.marketingOptInAt?.toISOString() ?? null, opt_out: r.optedOutAt?.toISOString() ?? null })}\n`,
          )
          .join("");
        return { text, rows: rows.length, after: rows.length === limit ? rows[rows.length - 1]!.id : null };
      },
    };
  }
  const where = messagesWhere(v.parse(MessagesFilter, ex.filter));
  return {
    async header(): Promise<string> {
      return csv ? csvLine(MESSAGE_COLUMNS) : "";
    },
    async page(tx: Tx, after: string | null, limit = EXPORT_PAGE_ROWS): Promise<Page> {
      if (limit <= 0) return { text: "", rows: 0, after: null };
      const rows = await tx.select().from(messages).where(and(where, after ? gt(messages.id, after) : undefined)).orderBy(asc(messages.id)).limit(limit);
      const text = rows
        .map((m) => {
          const content = ex.phonesMasked ? maskMetaShaped(m.payload, wamids) : m.payload;
          const r = { id: m.id, created_at: m.createdAt.toISOString(), direction: m.direction, contact: phones(m.recipient), type: m.type, status: m.status, wamid: m.wamid !== null && ex.phonesMasked ? wamids(m.wamid) : m.wamid, error_code: m.errorCode, error_title: m.errorTitle, broadcast_id: m.broadcastId };
          return csv ? csvLine([...Object.values(r).map((x) => (x === null ? "" : String(x))), JSON.stringify(content)]) : `${JSON.stringify({ ...r, content })}\n`;
        })
        .join("");
      return { text, rows: rows.length, after: rows.length === limit ? rows[rows.length - 1]!.id : null };
    },
  };
}
