import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMetaTemplates } from "../lib/templates/graph.js";

// Meta's template pages, as a stand-in Graph host serves them: one page per `after` cursor.
let pages: Record<string, unknown> = {};
const seen: string[] = [];
const graph = createServer((req, res) => {
  seen.push(req.url ?? "");
  const after = new URL(req.url ?? "/", "http://x").searchParams.get("after") ?? "";
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(pages[after] ?? { data: [] }));
});
let target: { graphUrl: string; apiVersion: string; wabaId: string };
beforeAll(async () => {
  await new Promise<void>((r) => graph.listen(0, "127.0.0.1", r));
  target = { graphUrl: `http://127.0.0.1:${(graph.address() as { port: number }).port}`, apiVersion: "v21.0", wabaId: "1" };
});
afterAll(() => new Promise<void>((r) => graph.close(() => r())));

const tpl = (name: string) => ({ name, language: "en_US", status: "APPROVED" });

describe("template paging that is not Graph's shape", () => {
  it("a malformed paging.next without a cursor is a 502 meta_error, not a crash (nor a short list)", async () => {
    pages = { "": { data: [tpl("first")], paging: { next: "http://[not a url" } } };
    await expect(listMetaTemplates(target, "EAAToken")).rejects.toMatchObject({ status: 502, code: "meta_error", message: expect.stringMatching(/paging\.next/) });
    pages = { "": { data: [tpl("first")], paging: { next: 42 } } };
    await expect(listMetaTemplates(target, "EAAToken")).rejects.toMatchObject({ status: 502, code: "meta_error" });
  });

  it("a malformed paging.next beside a cursor: the next page is asked for by the cursor, on the configured host", async () => {
    pages = { "": { data: [tpl("first")], paging: { cursors: { after: "c1" }, next: "::bad::" } }, c1: { data: [tpl("second")], paging: { cursors: { after: "c2" } } } };
    seen.length = 0;
    expect((await listMetaTemplates(target, "EAAToken")).map((t) => t.name)).toEqual(["first", "second"]);
    expect(seen[1]).toMatch(/after=c1/);
  });

  it("a page whose data is not a list is a 502 meta_error", async () => {
    pages = { "": { data: { name: "x" } } };
    await expect(listMetaTemplates(target, "EAAToken")).rejects.toMatchObject({ status: 502, code: "meta_error", message: expect.stringMatching(/data/) });
  });
});
