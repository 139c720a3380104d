import { withTenant } from "../../db/tenant.js";
import { csvLine } from "../contacts/csv.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import { BEFORE_EVERY_ID, UUID_PATTERN } from "../ids.js";
import { loadBroadcast } from "./get.js";
import { statusPageSql } from "./status-page.js";
import { phone, Phone, type PhoneView } from "../permissions/phones.js";

const STATUSES = new Set(["queued", "sending", "retrying", "sent", "delivered", "read", "failed", "canceled"]);
/** Every status a message can hold (the table's check): the report without a status covers them all. */
const EVERY_STATUS = [...STATUSES, "received"];
const RECIPIENT_SELECT = "id as message_id, contact_id, recipient as wa_id, status, error_code, error_title, error_details, error_reason, updated_at";
export const RECIPIENT_COLUMNS = ["message_id", "contact_id", "wa_id", "status", "error_code", "error_title", "error_details", "error_reason", "updated_at"];

type Recipient = {
  message_id: string;
  contact_id: string | null;
  wa_id: string;
  status: string;
  error_code: number | null;
  error_title: string | null;
  error_details: string | null;
  error_reason: string | null;
  updated_at: string;
};

/**
 * GET /v1/broadcasts/{id}/recipients?status=failed&cursor=&limit=: the broadcast's
 * messages with Meta's error per recipient, by message id (keyset, the broadcast's
 * index). `status=failed` is the failed-messages report.
 */
export async function listRecipients(s: Services, workspaceId: string, id: string, q: { status?: string | undefined; cursor?: string | undefined; limit?: string | undefined }, maxLimit = 1000) {
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  const errors = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) errors.push({ field: "limit", message: `must be a whole number from 1 to ${maxLimit}` });
  if (q.status !== undefined && !STATUSES.has(q.status)) errors.push({ field: "status", message: `must be one of ${[...STATUSES].join(", ")}` });
  if (q.cursor !== undefined && !UUID_PATTERN.test(q.cursor)) errors.push({ field: "cursor", message: "is invalid" });
  if (errors.length) throw validationFailed(errors);
  return withTenant(s.db, workspaceId, async (tx) => {
    await loadBroadcast(tx, id);
    // One index range per status, merged (lib/broadcasts/status-page.ts); without a cursor, from the first id.
    // `id` as well: the pages merge on it.
    const rows = await tx.execute<Recipient & { id: string }>(statusPageSql(id, q.status ? [q.status] : EVERY_STATUS, q.cursor ?? BEFORE_EVERY_ID, limit + 1, `id, ${RECIPIENT_SELECT}`));
    const page = rows.slice(0, limit).map(({ id: _, ...r }) => ({ ...r, wa_id: phone(r.wa_id), updated_at: new Date(r.updated_at).toISOString() }));
    return { data: page, next_cursor: rows.length > limit ? page.at(-1)!.message_id : null };
  });
}

/** The same report as CSV, every page streamed (one transaction per page); numbers as `phones` shows them. */
export function recipientsCsv(s: Services, workspaceId: string, id: string, status: string | undefined, phones: PhoneView): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cursor: string | undefined;
  let started = false;
  let done = false;
  return new ReadableStream({
    async pull(ctl) {
      if (done) return ctl.close();
      if (!started) {
        started = true;
        ctl.enqueue(enc.encode(csvLine(RECIPIENT_COLUMNS)));
      }
      const page = await listRecipients(s, workspaceId, id, { status, cursor, limit: "1000" });
      ctl.enqueue(enc.encode(page.data.map((r) => csvLine(RECIPIENT_COLUMNS.map((c) => cell((r as Record<string, unknown>)[c], phones)))).join("")));
      if (!page.next_cursor) done = true;
      else cursor = page.next_cursor;
    },
  });
}

const cell = (v: unknown, phones: PhoneView) => (v instanceof Phone ? phones(v.value) : String(v ?? ""));
