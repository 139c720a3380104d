import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../lib/clock.js";
import { totpCodeAt } from "../lib/factors/totp.js";
import { FACTOR_CASES, factorPost, type FactorTenant } from "./support/audit-cases-factors.js";
import { acceptAudit, expectRow, installAuditRefusal, refuseAudit, rowsAfter, snapshot, topSeq } from "./support/audit-routes-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * Every second-factor route with a case (test/support/audit-cases-factors.ts;
 * test/audit-routes.test.ts fails for a route with none): it leaves its audit row naming
 * the person in the session's workspace; while the audit log refuses that workspace's
 * rows it fails, and neither the workspace's data nor the person's changed.
 */
let now = new Date();
const clock: Clock = { now: () => now };
let stack: TestStack;
let audited: FactorTenant;
let refused: FactorTenant;
beforeAll(async () => {
  stack = await createTestStack({}, { clock });
  await installAuditRefusal(stack.owner);
  const code = (secret: string) => totpCodeAt(secret, (now = new Date(now.getTime() + 30_000)));
  audited = { stack, workspaceId: (await stack.tenant("AuditedFactors")).workspaceId, code };
  refused = { stack, workspaceId: (await stack.tenant("RefusedFactors")).workspaceId, code };
});
afterAll(() => stack?.close());

describe("each second-factor route writes its audit row in its transaction", () => {
  for (const [route, c] of Object.entries(FACTOR_CASES)) {
    it(`${route} records ${c.action} naming the person, in the chain`, async () => {
      const start = await c.setup(audited);
      const before = await topSeq(stack.owner, audited.workspaceId);
      const res = await factorPost(stack, start.who, c, c.body?.(start, audited) ?? {});
      expect(res.status, (await res.text()).slice(0, 500)).toBeLessThan(400);
      expectRow(await rowsAfter(stack.owner, audited.workspaceId, before), c.action, { actor_type: "user", actor_id: start.who.userId }, route);
    });

    it(`${route} changes nothing when its audit row cannot be written`, async () => {
      const start = await c.setup(refused);
      const body = c.body?.(start, refused) ?? {};
      const before = await snapshot(stack.owner, refused.workspaceId, start.who.userId);
      await refuseAudit(stack.owner, refused.workspaceId);
      try {
        const res = await factorPost(stack, start.who, c, body);
        expect(res.status, `${route} answered ${res.status} though its audit row was refused`).toBeGreaterThanOrEqual(500);
      } finally {
        await acceptAudit(stack.owner, refused.workspaceId);
      }
      expect(await snapshot(stack.owner, refused.workspaceId, start.who.userId), `${route} committed a change without its audit row`).toBe(before);
    });
  }
});
