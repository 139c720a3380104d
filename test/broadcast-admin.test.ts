import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastTenant, seedContacts, TEMPLATE } from "./support/broadcast-kit.js";
import { runTs, type Ran } from "./support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack?.close());

const admin = (args: string[]) => runTs("dev/admin/cli.ts", [...args, "--json"], { ...childEnv(stack), SANDESH_ENV: "test" });
const ok = (r: Ran) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout);
};

describe("npm run admin -- broadcast", () => {
  it("lists, shows, pauses, resumes and cancels a workspace's broadcast; another workspace's id is not found", async () => {
    const t = await broadcastTenant(stack, null);
    const other = await stack.tenant("Other");
    await seedContacts(stack.owner, t.workspaceId, 3, { tag: "cli" });
    const { json } = await t.call("POST", "/v1/broadcasts", { name: "cli", template: TEMPLATE, audience: { tag: "cli" }, send_at: new Date(Date.now() + 3600_000).toISOString() });
    const W = ["--workspace", t.workspaceId];
    expect(ok(await admin(["broadcast", "list", ...W])).data).toEqual([expect.objectContaining({ id: json.id, status: "scheduled", name: "cli" })]);
    expect(ok(await admin(["broadcast", "show", ...W, "--id", json.id]))).toMatchObject({ id: json.id, counts: { targeted: 0 } });
    expect(ok(await admin(["broadcast", "pause", ...W, "--id", json.id]))).toEqual({ id: json.id, status: "paused" });
    // Paused before its time: resume schedules it again.
    expect(ok(await admin(["broadcast", "resume", ...W, "--id", json.id]))).toEqual({ id: json.id, status: "scheduled" });
    expect(ok(await admin(["broadcast", "cancel", ...W, "--id", json.id]))).toEqual({ id: json.id, status: "canceled" });
    const [audit] = await stack.owner<{ n: number }[]>`select count(*)::int as n from audit_log where object_id = ${json.id} and actor_type = 'operator'`;
    expect(audit!.n).toBe(3);

    const stranger = await admin(["broadcast", "show", "--workspace", other.workspaceId, "--id", json.id]);
    expect(stranger.code).toBe(1);
    expect(JSON.parse(stranger.stdout).error.code).toBe("not_found");
    const usage = await admin(["broadcast", "show", ...W]);
    expect(usage.code).toBe(2);
  }, 120_000);
});
