import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInBrowser, visibleText } from "./support/dashboard-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/** /app/audit: the audit log page with its filters and downloads, for owners and admins only. */
let stack: TestStack;
let t: { workspaceId: string; key: string; keyId: string };
beforeAll(async () => {
  stack = await createTestStack();
  t = await stack.tenant("AuditPage");
  for (const name of ["Asha", "Ravi"]) {
    const r = await stack.request("/v1/contacts", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, body: JSON.stringify({ wa_id: name === "Asha" ? "919800000011" : "919800000012", name }) });
    expect(r.status).toBe(201);
  }
});
afterAll(() => stack?.close());

describe("dashboard audit log", () => {
  it("lists the workspace's rows newest first, filters by action, and downloads the filtered rows as CSV and JSON Lines", async () => {
    const owner = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "owner" });
    const all = await owner.get("/app/audit");
    expect(all.status).toBe(200);
    const text = visibleText(all.html);
    expect(text).toContain("contact.created");
    expect(text).toContain("api_key.created");
    expect(all.html).toContain('href="/app/audit" aria-current="page"');
    const filtered = visibleText((await owner.get("/app/audit?action=contact.created")).html);
    expect(filtered).toContain("contact.created");
    expect(filtered).not.toContain("api_key.created");
    const csv = await owner.get("/app/audit/export?action=contact.created&format=csv");
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.html.trim().split("\r\n")).toHaveLength(3);
    const nd = await owner.get("/app/audit/export?action=contact.created&format=ndjson");
    expect(nd.html.trim().split("\n").map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(["contact.created", "contact.created"]);
  });

  it("shows a bad filter as a problem on the page, and refuses agents (no audit:read)", async () => {
    const owner = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "owner" });
    const bad = await owner.get("/app/audit?from=yesterday");
    expect(bad.status).toBe(422);
    expect(visibleText(bad.html)).toContain("from");
    const agent = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "agent" });
    expect((await agent.get("/app/audit")).status).toBe(403);
    expect((await agent.get("/app/audit/export?format=csv")).status).toBe(403);
  });
});
