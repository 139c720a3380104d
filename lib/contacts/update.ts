import { eq } from "drizzle-orm";
import { contacts, type ContactAttributes } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound, validationFailed } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { checkAttributeNames } from "./attribute-names.js";
import { applyConsentInput } from "./consent.js";
import { dispatchRecorded, recordEvents } from "../webhooks/emit.js";
import type { Actor } from "./create.js";
import { contactView, MAX_ATTRIBUTES, type UpdateContactInput } from "./schema.js";

/**
 * PATCH /v1/contacts/{id}. `attributes` merges (a key set to null is removed), `tags`
 * replaces, consent changes are recorded as evidence. The WhatsApp id is the contact's
 * identity and does not change.
 */
export async function updateContact(s: Services, workspaceId: string, id: string, input: UpdateContactInput, actor: Actor) {
  if (!UUID_PATTERN.test(id)) throw notFound("Contact");
  const now = s.clock.now();
  const { view, deliveries } = await withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.select().from(contacts).where(eq(contacts.id, id)).for("update");
    if (!row) throw notFound("Contact");
    const set: Partial<typeof contacts.$inferInsert> = { updatedAt: now };
    if (input.name !== undefined) set.name = input.name;
    if (input.tags !== undefined) set.tags = input.tags;
    if (input.attributes !== undefined) {
      const merged: ContactAttributes = { ...row.attributes };
      for (const [k, v] of Object.entries(input.attributes)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      if (Object.keys(merged).length > MAX_ATTRIBUTES) throw validationFailed([{ field: "attributes", message: `must leave at most ${MAX_ATTRIBUTES} keys` }]);
      await checkAttributeNames(tx, Object.keys(merged).filter((k) => !(k in row.attributes)));
      set.attributes = merged;
    }
    await tx.update(contacts).set(set).where(eq(contacts.id, id));
    const who = { actorType: actor.actorType, actorId: actor.actorId ?? null };
    const events = await applyConsentInput(tx, { id, waId: row.waId }, input, now, who);
    const deliveries = await recordEvents(s, tx, workspaceId, events);
    await recordAudit(tx, { ...actor, workspaceId, action: "contact.updated", objectType: "contact", objectId: id, details: { fields: Object.keys(input) } });
    const [updated] = await tx.select().from(contacts).where(eq(contacts.id, id));
    return { view: contactView(updated!), deliveries };
  });
  // After commit, as for Meta's events; a lost dispatch is the webhook sweep's.
  if (deliveries) await dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("webhook dispatch failed; the sweep retries", { error: err }));
  return view;
}
