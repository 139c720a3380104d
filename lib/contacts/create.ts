import { eq } from "drizzle-orm";
import { contacts } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { uuidv7 } from "../ids.js";
import { checkAttributeNames } from "./attribute-names.js";
import { applyConsentInput } from "./consent.js";
import { dispatchRecorded, recordEvents } from "../webhooks/emit.js";
import { contactView, type CreateContactInput } from "./schema.js";

export type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/**
 * POST /v1/contacts. The WhatsApp id is the contact's identity in its workspace: a
 * second contact with it is a 409 naming the first (which inbound messages may have
 * created), never a duplicate.
 */
export async function createContact(s: Services, workspaceId: string, input: CreateContactInput, actor: Actor) {
  const now = s.clock.now();
  const id = uuidv7(now.getTime());
  const { view, deliveries } = await withTenant(s.db, workspaceId, async (tx) => {
    await checkAttributeNames(tx, Object.keys(input.attributes ?? {}));
    const [row] = await tx
      .insert(contacts)
      .values({ id, workspaceId, waId: input.wa_id, name: input.name ?? null, attributes: input.attributes ?? {}, tags: input.tags ?? [], createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: [contacts.workspaceId, contacts.waId] })
      .returning({ id: contacts.id });
    if (!row) {
      const [existing] = await tx.select({ id: contacts.id }).from(contacts).where(eq(contacts.waId, input.wa_id));
      throw new AppError(409, "contact_exists", `A contact with wa_id ${input.wa_id} already exists`, { id: existing?.id ?? null });
    }
    const who = { actorType: actor.actorType, actorId: actor.actorId ?? null };
    const events = await applyConsentInput(tx, { id, waId: input.wa_id }, input, now, who);
    const deliveries = await recordEvents(s, tx, workspaceId, events);
    await recordAudit(tx, { ...actor, workspaceId, action: "contact.created", objectType: "contact", objectId: id, details: { wa_id: input.wa_id } });
    const [created] = await tx.select().from(contacts).where(eq(contacts.id, id));
    return { view: contactView(created!), deliveries };
  });
  // After commit, as for Meta's events; a lost dispatch is the webhook sweep's.
  if (deliveries) await dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("webhook dispatch failed; the sweep retries", { error: err }));
  return view;
}
