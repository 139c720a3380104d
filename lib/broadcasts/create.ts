import { eq } from "drizzle-orm";
import { broadcasts, whatsappNumbers } from "../../db/schema/index.js";
import { withTenant, withTenantSql } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";
import { uuidv7 } from "../ids.js";
import { resolveSender } from "../messages/sender.js";
import { audienceWhere } from "./audience.js";
import { dispatchBroadcastEvents, recordBroadcastEvent } from "./events.js";
import { placeholderProblems } from "./placeholders.js";
import { broadcastView, type CreateBroadcastInput } from "./schema.js";
import { checkTemplate } from "./template-check.js";

/**
 * POST /v1/broadcasts. Everything that can be refused is refused here, before anything
 * is scheduled: the sender, the template (catalogue and placeholders), the audience
 * (unknown contact ids, nobody in it). Then the row and its run job: running at once when
 * send_at is absent or past (201 running, broadcast.started), else scheduled, its job
 * not before send_at (201 scheduled).
 */
export async function createBroadcast(s: Services, workspaceId: string, input: CreateBroadcastInput, actor: Actor) {
  const now = s.clock.now();
  const sendAt = input.send_at ? new Date(input.send_at) : now;
  const problems = placeholderProblems(input.template.components ?? []);
  if (problems.length) throw validationFailed(problems, "The template has placeholders Sandesh cannot fill");
  const sender = await resolveSender(s, workspaceId, input.from);
  await checkAudience(s, workspaceId, input.audience);
  const id = uuidv7(now.getTime());
  const due = sendAt.getTime() <= now.getTime();
  const row = await withTenant(s.db, workspaceId, async (tx) => {
    const [n] = await tx.select({ wabaId: whatsappNumbers.wabaId }).from(whatsappNumbers).where(eq(whatsappNumbers.id, sender.id));
    const category = await checkTemplate(tx, n!.wabaId, input.template);
    const { category: _c, ...template } = input.template;
    const [b] = await tx
      .insert(broadcasts)
      // Due now: running from this commit (what the answer says), started event included.
      .values({ id, workspaceId, whatsappNumberId: sender.id, name: input.name, template, category, audience: input.audience, status: due ? "running" : "scheduled", sendAt, ...(due ? { startedAt: now } : {}), createdAt: now, updatedAt: now })
      .returning();
    await recordAudit(tx, { ...actor, workspaceId, action: "broadcast.created", objectType: "broadcast", objectId: id, details: { name: input.name, template: input.template.name, send_at: sendAt.toISOString() } });
    const recorded = due ? await recordBroadcastEvent(s, tx, workspaceId, "broadcast.started", now, { id, name: input.name, send_at: sendAt.toISOString() }) : 0;
    return { b: b!, recorded };
  });
  await dispatchBroadcastEvents(s, workspaceId, row.recorded);
  // The row is the truth: a lost enqueue is caught by the sweep (due but scheduled, or running without progress).
  await s.queue.enqueueBroadcast({ broadcastId: id, workspaceId }, due ? {} : { notBefore: sendAt }).catch((err: unknown) => s.logger.error("broadcast enqueue failed; the sweep starts it", { broadcast_id: id, error: err }));
  return broadcastView(row.b);
}

/** Contact ids that are not this workspace's are named; an audience with nobody in it is refused. */
async function checkAudience(s: Services, workspaceId: string, audience: CreateBroadcastInput["audience"]): Promise<void> {
  await withTenantSql(s.db, workspaceId, async (t) => {
    if ("contact_ids" in audience) {
      const found = new Set((await t<{ id: string }[]>`select id from contacts where ${audienceWhere(t, audience)}`).map((r) => r.id));
      const unknown = audience.contact_ids.filter((c) => !found.has(c));
      if (unknown.length) throw validationFailed([{ field: "audience.contact_ids", message: `${unknown.length} are not contacts of this workspace: ${unknown.slice(0, 10).join(", ")}` }], "The audience names unknown contacts");
      return;
    }
    const [any] = await t`select 1 from contacts where ${audienceWhere(t, audience)} limit 1`;
    if (!any) throw new AppError(422, "audience_empty", "tag" in audience ? `No contact has the tag ${audience.tag}` : "This workspace has no contacts", [{ field: "audience", message: "matches no contact" }]);
  });
}
