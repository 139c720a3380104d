import { sql } from "drizzle-orm";
import type { Services } from "../context.js";
import { withTenant } from "../../db/tenant.js";
import { AppError } from "../errors.js";
import type { SendMessageInput } from "./schema.js";

export const WINDOW_MS = 24 * 3600 * 1000;

/**
 * Refusals Meta would otherwise charge for or penalise, checked before any quota is
 * used: free-form messages outside the 24-hour customer-service window (Meta's 131047),
 * and marketing templates to a contact who opted out. A template's category comes
 * from `template.category`; without it the template is treated as marketing, the
 * cautious reading (Sandesh has no template catalogue yet). A declared UTILITY or
 * AUTHENTICATION template to a contact who opted out goes out, on the client's word:
 * the answer says so, and the caller audits it with the message. Windows and opt-outs are
 * keyed on the phone number's digits.
 */
export async function preflight(s: Services, now: Date, workspaceId: string, sender: { id: string }, recipient: string, input: SendMessageInput): Promise<{ optedOut: boolean }> {
  const isTemplate = input.type === "template";
  const marketing = isTemplate && (input.category ?? "MARKETING") === "MARKETING";
  // Windows are recorded per phone number (Meta's inbound webhooks name one). A group has
  // none of its own, and a business-scoped user's is not recorded here: Meta judges those
  // (a 131047 comes back as a failed status).
  if (!isTemplate && input.recipient.kind !== "phone") return { optedOut: false };
  // A window only ever gets longer (each inbound message extends it), so "open until T"
  // stays true until T in every process: remembered briefly, it spares the read. An
  // opt-out can arrive at any moment, so marketing templates always read.
  const windowKey = `${sender.id}:${recipient}`;
  if (!isTemplate && (s.caches.openWindows.get(windowKey) ?? 0) > now.getTime()) return { optedOut: false };
  const db = s.db;
  // Under the tenant's own RLS scope: this read can only ever see this workspace's rows.
  const [row] = await withTenant(db, workspaceId, (tx) =>
    tx.execute<{ window_at: string | null; opted_out_at: string | null }>(sql`
      select (select last_inbound_at from customer_windows where whatsapp_number_id = ${sender.id} and wa_id = ${recipient}) as window_at,
             (select opted_out_at from contacts where wa_id = ${recipient}) as opted_out_at`),
  );
  if (!isTemplate) {
    const opened = row?.window_at ? new Date(row.window_at).getTime() : null;
    if (opened === null || now.getTime() - opened >= WINDOW_MS) {
      throw new AppError(
        422,
        "outside_customer_service_window",
        opened === null
          ? "This contact has never written to this number: only an approved template can start the conversation"
          : "More than 24 hours have passed since this contact last wrote: only an approved template can be sent",
      );
    }
    s.caches.openWindows.set(windowKey, opened + WINDOW_MS);
    return { optedOut: false };
  }
  if (row?.opted_out_at && marketing) {
    throw new AppError(422, "contact_opted_out", "This contact opted out of marketing messages; marketing templates are not sent to them");
  }
  return { optedOut: Boolean(row?.opted_out_at) };
}
