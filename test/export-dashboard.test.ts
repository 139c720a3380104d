import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleText, type Browser } from "./support/dashboard-kit.js";
import { exportKit, type Tenant } from "./support/export-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// Exports asked for in the dashboard (issue 14's review): the one-time download is given
// only to a request the dashboard or the person started, and an owner approving their own
// export is allowed but shows (audit details, /app/exports, the API's view).
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());
const { tenant, seedContacts, call, produce, member, statusOf, actions, lines } = exportKit(() => stack);

/** An export the browser asks for on /app/exports, its id. */
async function askInDashboard(t: Tenant, b: Browser): Promise<string> {
  expect((await b.post("/app/exports", { kind: "contacts", format: "csv" })).status).toBe(303);
  const [row] = await stack.owner<{ id: string }[]>`select id from exports where workspace_id = ${t.workspaceId} and requester_id = ${b.who.userId} order by created_at desc limit 1`;
  return row!.id;
}

describe("the dashboard's export download", () => {
  it("a link followed from another site is refused (403, a page saying why) and the export stays downloadable; typed in or from the dashboard it downloads", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 5);
    const owner = await member(t, "owner");
    const first = await askInDashboard(t, owner);
    expect(await produce(t, first)).toBe("ready");
    const path = `/app/exports/${first}/download`;
    const origin = stack.config.allowedOrigins[0]!;
    const foreign: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { "sec-fetch-site": "same-site", origin: "https://evil.example.com" }, { "sec-fetch-site": "cross-site", origin }];
    for (const headers of foreign) {
      const refused = await owner.get(path, { ...headers, "sec-fetch-mode": "navigate" });
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(refused.headers.get("content-type")).toMatch(/^text\/html/);
      expect(visibleText(refused.html)).toContain("was opened from another site, so it was not given: it can be downloaded only once, and only from the dashboard");
      expect(refused.html).not.toContain("Name 1");
      expect(await statusOf(first)).toBe("ready");
    }
    expect(await actions(first)).not.toContain("export.downloaded");
    // Typed into the address bar (none): the file, once.
    const typed = await owner.get(path, { "sec-fetch-site": "none" });
    expect(typed.status).toBe(200);
    expect(lines(typed.html)).toHaveLength(6);
    expect(await statusOf(first)).toBe("downloaded");
    // From the dashboard's own link (same-origin).
    const second = await askInDashboard(t, owner);
    expect(await produce(t, second)).toBe("ready");
    const linked = await owner.get(`/app/exports/${second}/download`, { "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate" });
    expect(linked.status).toBe(200);
    expect(lines(linked.html)).toHaveLength(6);
    expect((await owner.get(`/app/exports/${second}/download`, { "sec-fetch-site": "same-origin" })).status).toBe(410);
  });
});

describe("an owner approving their own export", () => {
  it("is allowed, and shows: self_approved in the export.approved audit row, on /app/exports and in the API's view; another owner's approval is not", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 3);
    await call(t.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify({ export_approval_threshold: 0 }) });
    const owner = await member(t, "owner");
    const other = await member(t, "owner");
    const own = await askInDashboard(t, owner);
    const theirs = await askInDashboard(t, other);
    expect(await statusOf(own)).toBe("pending_approval");
    expect((await owner.post(`/app/exports/${own}/approve`)).status).toBe(303);
    expect((await owner.post(`/app/exports/${theirs}/approve`)).status).toBe(303);
    const details = async (id: string) => (await stack.owner<{ details: Record<string, unknown> }[]>`select details from audit_log where object_id = ${id} and action = 'export.approved'`)[0]?.details;
    expect(await details(own)).toMatchObject({ self_approved: true, requested_by: { type: "user", id: owner.who.userId } });
    expect(await details(theirs)).toMatchObject({ self_approved: false, requested_by: { type: "user", id: other.who.userId } });
    expect((await call(t.key, `/v1/exports/${own}`)).json).toMatchObject({ decided_by: owner.who.userId, self_approved: true });
    expect((await call(t.key, `/v1/exports/${theirs}`)).json).toMatchObject({ decided_by: owner.who.userId, self_approved: false });

    // The approver's page: both under "Approved above the threshold", their own marked; the requester's own list marks it too.
    const page = visibleText((await owner.get("/app/exports")).html);
    const approved = page.slice(page.indexOf("Approved above the threshold"), page.indexOf("Your exports"));
    expect(approved.match(/self-approved/g)).toHaveLength(1);
    expect(approved).toMatch(/3 contacts as CSV you you self-approved queued/);
    expect(approved).toMatch(/3 contacts as CSV member \S+ you queued/);
    expect(page.slice(page.indexOf("Your exports"))).toContain("queued self-approved");
    const theirPage = visibleText((await other.get("/app/exports")).html);
    expect(theirPage.slice(theirPage.indexOf("Your exports"))).not.toContain("self-approved");
    expect(theirPage.slice(theirPage.indexOf("Approved above the threshold"), theirPage.indexOf("Your exports"))).toMatch(/member \S+ member \S+ self-approved queued/);
  });
});
