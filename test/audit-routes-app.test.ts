import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../dev/meta-sandbox/index.js";
import { appTenant, FORM_CASES, type AppTenant, type FormCase } from "./support/audit-cases-app.js";
import { auditTenant } from "./support/audit-cases-v1.js";
import { acceptAudit, expectRow, installAuditRefusal, refuseAudit, rowsAfter, snapshot, topSeq } from "./support/audit-routes-kit.js";
import { jarOf, pageClient, type Browser } from "./support/dashboard-kit.js";
import { sessionFor } from "./support/people-kit.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Every state-changing dashboard form with a case (test/support/audit-cases-app.ts;
 * test/audit-routes.test.ts fails for a route with none): posted by a signed-in owner, it
 * leaves its audit row naming the person; posted while the audit log refuses the
 * workspace's rows, it fails and neither the workspace's data nor the person's changed.
 */
let meta: MetaSandbox;
let stack: TestStack;
let audited: AppTenant;
let refused: AppTenant;
beforeAll(async () => {
  meta = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5 });
  stack = await createTestStack({ META_GRAPH_URL: meta.url });
  await installAuditRefusal(stack.owner);
  audited = await appTenant(await auditTenant(stack, meta, "AuditedForms"));
  refused = await appTenant(await auditTenant(stack, meta, "RefusedForms"));
});
afterAll(async () => {
  await stack?.close();
  await meta?.close();
});

/**
 * Who posts: the owner's browser; a new sign-in of theirs for a form that ends its session;
 * for a form of another person's (`other`), that person signed in to their own workspace.
 */
async function poster(t: AppTenant, c: FormCase, p: Record<string, string>): Promise<{ b: Pick<Browser, "post">; userId: string }> {
  if (c.other) {
    const s = await sessionFor(stack, p.as!, p.email!, p.home!);
    return { b: pageClient(stack, jarOf(s.cookie), s.csrf), userId: p.as! };
  }
  if (!c.own) return { b: t.person, userId: t.person.who.userId };
  const s = await sessionFor(stack, t.person.who.userId, t.person.who.email, t.workspaceId);
  return { b: pageClient(stack, jarOf(s.cookie), s.csrf), userId: t.person.who.userId };
}

describe("each state-changing dashboard form writes its audit row in its transaction", () => {
  for (const [route, c] of Object.entries(FORM_CASES)) {
    it(`${route} records ${c.action} naming the signed-in person, in the chain`, async () => {
      const params = c.setup ? await c.setup(audited) : {};
      const before = await topSeq(stack.owner, audited.workspaceId);
      const { b, userId } = await poster(audited, c, params);
      const page = await b.post(c.path(params, audited), c.fields?.(params, audited) ?? {});
      expect(page.status, page.html.slice(0, 500)).toBeLessThan(400);
      const rows = await rowsAfter(stack.owner, audited.workspaceId, before);
      expectRow(rows, c.action, { actor_type: "user", actor_id: userId }, route);
    });

    it(`${route} changes nothing when its audit row cannot be written`, async () => {
      const params = c.setup ? await c.setup(refused) : {};
      const { b, userId } = await poster(refused, c, params);
      const before = await snapshot(stack.owner, refused.workspaceId, userId);
      await refuseAudit(stack.owner, refused.workspaceId);
      try {
        const page = await b.post(c.path(params, refused), c.fields?.(params, refused) ?? {});
        expect(page.status, `${route} answered ${page.status} though its audit row was refused`).toBeGreaterThanOrEqual(500);
      } finally {
        await acceptAudit(stack.owner, refused.workspaceId);
      }
      expect(await snapshot(stack.owner, refused.workspaceId, userId), `${route} committed a change without its audit row`).toBe(before);
    });
  }
});
