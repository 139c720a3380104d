import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../dev/meta-sandbox/index.js";
import { auditTenant, KEY_CASES, keyCall, UA, type KeyTenant } from "./support/audit-cases-v1.js";
import { acceptAudit, expectRow, installAuditRefusal, refuseAudit, rowsAfter, snapshot, topSeq } from "./support/audit-routes-kit.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Every state-changing /v1 and Graph-compatible route with a case (test/support/audit-cases-v1.ts;
 * test/audit-routes.test.ts fails for a route with none): asked with a key, it leaves its
 * audit row naming the key, the address and the user agent; asked while the audit log
 * refuses the workspace's rows, it fails and the workspace's data is as it was.
 */
let meta: MetaSandbox;
let stack: TestStack;
let audited: KeyTenant;
let refused: KeyTenant;
beforeAll(async () => {
  meta = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5, templateReviewMs: 10 });
  stack = await createTestStack({ META_GRAPH_URL: meta.url });
  await installAuditRefusal(stack.owner);
  audited = await auditTenant(stack, meta, "Audited");
  refused = await auditTenant(stack, meta, "Refused");
});
afterAll(async () => {
  await stack?.close();
  await meta?.close();
});

describe("each state-changing /v1 and Graph-compatible route writes its audit row in its transaction", () => {
  for (const [route, c] of Object.entries(KEY_CASES)) {
    const method = route.slice(0, route.indexOf(" "));
    it(`${route} records ${c.action} naming the key, its address and user agent, in the chain`, async () => {
      const params = c.setup ? await c.setup(audited) : {};
      const before = await topSeq(stack.owner, audited.workspaceId);
      const res = await keyCall(audited, method, c.request(params, audited));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      const rows = await rowsAfter(stack.owner, audited.workspaceId, before);
      expectRow(rows, c.action, { actor_type: "api_key", actor_id: audited.keyId, ip: "203.0.113.7", user_agent: UA }, route);
    });

    it(`${route} changes nothing when its audit row cannot be written`, async () => {
      const params = c.setup ? await c.setup(refused) : {};
      const before = await snapshot(stack.owner, refused.workspaceId);
      await refuseAudit(stack.owner, refused.workspaceId);
      try {
        const res = await keyCall(refused, method, c.request(params, refused));
        expect(res.status, `${route} answered ${res.status} though its audit row was refused`).toBeGreaterThanOrEqual(500);
      } finally {
        await acceptAudit(stack.owner, refused.workspaceId);
      }
      expect(await snapshot(stack.owner, refused.workspaceId), `${route} committed a change without its audit row`).toBe(before);
    });
  }
});
