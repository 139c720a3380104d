import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "./support/job-kit.js";
import { fakePng, mediaForm } from "./support/media-kit.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/** Meta not answering: an upload is refused in each route's shape, and nothing is recorded. */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({ META_GRAPH_URL: `http://127.0.0.1:${await closedPort()}` });
});
afterAll(() => stack?.close());

describe("media with the Graph API unreachable", () => {
  it("answers /v1's 502 meta_error and Graph's 502 (131000), records nothing, and names no token", async () => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const auth = { authorization: `Bearer ${t.key}` };
    const v1 = await stack.request("/v1/media", { method: "POST", headers: auth, body: mediaForm(fakePng(100), "image/png") });
    expect(v1.status).toBe(502);
    const e = (await v1.json()) as { error: { code: string; message: string } };
    expect(e.error.code).toBe("meta_error");
    const graph = await stack.request(`/v23.0/${n.phone_number_id}/media`, { method: "POST", headers: auth, body: mediaForm(fakePng(100), "image/png") });
    expect(graph.status).toBe(502);
    expect(((await graph.json()) as { error: { code: number } }).error.code).toBe(131000);
    expect((await stack.owner`select count(*)::int as n from media`)[0]!.n).toBe(0);
    expect(stack.logs.join("\n")).not.toContain(`EAATestToken${n.phone_number_id}`);
  });
});
