import { sql } from "drizzle-orm";
import type { Services } from "../context.js";
import { withDeadline } from "../../db/deadline.js";
import { withTenant } from "../../db/tenant.js";
import { AppError } from "../errors.js";
import { catalogueEntrySql, templateVerdict, type CatalogueEntry, type TemplateRef } from "../templates/verdict.js";
import type { SendMessageInput } from "./schema.js";

export const WINDOW_MS = 24 * 3600 * 1000;

/**
 * Refusals Meta would otherwise charge for or penalise, checked before any quota is
 * used: free-form messages outside the 24-hour customer-service window (Meta's 131047);
 * templates the WABA's catalogue does not hold as APPROVED (Meta's 132001/132015) or
 * sent with the wrong parameter count (132000); marketing templates to a contact who
 * opted out. A template's category comes from the catalogue; where the catalogue does not
 * know it, from `template.category`, and without that it is treated as marketing, the
 * cautious reading. A WABA whose catalogue was never synced keeps that behaviour for every
 * template. A declared UTILITY or AUTHENTICATION template to a contact who opted out goes
 * out, on the client's word: the answer says so, and the caller audits it with the message.
 * Windows and opt-outs are keyed on the phone number's digits.
 */
export async function preflight(s: Services, now: Date, workspaceId: string, sender: { id: string }, recipient: string, input: SendMessageInput): Promise<{ optedOut: boolean }> {
  if (input.type === "template") return templatePreflight(s, workspaceId, sender, recipient, input.body.template as TemplateRef, input.category);
  // Windows are recorded per phone number (Meta's inbound webhooks name one). A group has
  // none of its own, and a business-scoped user's is not recorded here: Meta judges those
  // (a 131047 comes back as a failed status).
  if (input.recipient.kind !== "phone") return { optedOut: false };
  // A window only ever gets longer (each inbound message extends it), so "open until T"
  // stays true until T in every process: remembered briefly, it spares the read.
  const windowKey = `${sender.id}:${recipient}`;
  if ((s.caches.openWindows.get(windowKey) ?? 0) > now.getTime()) return { optedOut: false };
  // Under the tenant's own RLS scope: this read can only ever see this workspace's rows.
  // An erased contact's opt-out stands under the keyed hash of its number.
  const numbers = `{${[recipient, ...(await s.vault.keyedHashes(recipient))].join(",")}}`;
  const [row] = await withDeadline(
    withTenant(s.requestDb ?? s.db, workspaceId, (tx) =>
      tx.execute<{ window_at: string | null }>(sql`
        select (select last_inbound_at from customer_windows where whatsapp_number_id = ${sender.id} and wa_id = ${recipient}) as window_at`),
    ),
    "the pre-flight read",
  );
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

/** One read: the contact's opt-out and the catalogue's entry for the template. An opt-out can arrive at any moment, so templates always read. */
async function templatePreflight(s: Services, workspaceId: string, sender: { id: string }, recipient: string, tpl: TemplateRef, declared: SendMessageInput["category"]): Promise<{ optedOut: boolean }> {
  // An erased contact's opt-out stands under the keyed hash of its number.
  const numbers = `{${[recipient, ...(await s.vault.keyedHashes(recipient))].join(",")}}`;
  const [row] = await withDeadline(
    withTenant(s.requestDb ?? s.db, workspaceId, (tx) =>
      tx.execute<CatalogueEntry & { opted_out_at: string | null }>(sql`
        select e.*, (select max(opted_out_at) from contacts where wa_id = any(${numbers}::text[])) as opted_out_at from (${catalogueEntrySql(sender.id, tpl)}) e`),
    ),
    "the pre-flight read",
  );
  const { category } = templateVerdict(row ?? { synced: false, status: null, category: null, components: null }, tpl, declared);
  if (row?.opted_out_at && category === "MARKETING") {
    throw new AppError(422, "contact_opted_out", "This contact opted out of marketing messages; marketing templates are not sent to them");
  }
  return { optedOut: Boolean(row?.opted_out_at) };
}
