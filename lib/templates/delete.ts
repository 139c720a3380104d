import { and, eq } from "drizzle-orm";
import { messageTemplates } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound, validationFailed } from "../errors.js";
import { deleteMetaTemplate } from "./graph.js";
import { pickWaba, wabaAccess } from "./waba.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/**
 * DELETE /v1/templates/{name}: every language of the name, at Meta and in the catalogue.
 * A name the workspace's catalogue does not hold is a 404 before Meta is asked, so no
 * workspace can delete another's template through its own WABA token.
 */
export async function deleteTemplate(s: Services, workspaceId: string, name: string, wabaId: string | undefined, actor: Actor): Promise<void> {
  if (!/^[a-z0-9_]{1,512}$/.test(name)) throw notFound("Template");
  const known = await withTenant(s.db, workspaceId, (tx) =>
    tx.select({ wabaId: messageTemplates.wabaId }).from(messageTemplates).where(and(eq(messageTemplates.name, name), wabaId === undefined ? undefined : eq(messageTemplates.wabaId, wabaId))),
  );
  const wabas = [...new Set(known.map((k) => k.wabaId))];
  if (!wabas.length) throw notFound("Template");
  if (wabas.length > 1) throw validationFailed([{ field: "waba_id", message: "is required: several WABAs have a template of this name" }]);
  const { number } = await pickWaba(s, workspaceId, wabas[0]);
  const { target, token } = await wabaAccess(s, number);
  await deleteMetaTemplate(target, token, name);
  await withTenant(s.db, workspaceId, async (tx) => {
    await tx.delete(messageTemplates).where(and(eq(messageTemplates.wabaId, number.wabaId), eq(messageTemplates.name, name)));
    await recordAudit(tx, { ...actor, workspaceId, action: "template.deleted", objectType: "template", objectId: name, details: { waba_id: number.wabaId } });
  });
}
