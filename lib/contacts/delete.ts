import { eq } from "drizzle-orm";
import { contacts, messages } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import type { Actor } from "./create.js";

/**
 * DELETE /v1/contacts/{id}: the contact, its attributes and tags go. Its messages stay
 * (the business's record of what was sent and received) and its consent history stays
 * (evidence of what the person agreed to or refused, with their number), neither pointing
 * at it any more. An inbound message from the number later creates a new contact.
 */
export async function deleteContact(s: Services, workspaceId: string, id: string, actor: Actor): Promise<void> {
  if (!UUID_PATTERN.test(id)) throw notFound("Contact");
  await withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.select({ waId: contacts.waId }).from(contacts).where(eq(contacts.id, id)).for("update");
    if (!row) throw notFound("Contact");
    await tx.update(messages).set({ contactId: null }).where(eq(messages.contactId, id));
    await tx.delete(contacts).where(eq(contacts.id, id));
    await recordAudit(tx, { ...actor, workspaceId, action: "contact.deleted", objectType: "contact", objectId: id, details: { wa_id: row.waId } });
  });
}
