import { eq } from "drizzle-orm";
import { contacts } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { consentHistory } from "./consent.js";
import { contactView } from "./schema.js";

/** GET /v1/contacts/{id}: the contact and its consent history. Another workspace's id is a 404. */
export async function getContact(s: Services, workspaceId: string, id: string) {
  if (!UUID_PATTERN.test(id)) throw notFound("Contact");
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.select().from(contacts).where(eq(contacts.id, id));
    if (!row) throw notFound("Contact");
    return { ...contactView(row), consent_history: await consentHistory(tx, id) };
  });
}
