import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../lib/apikeys/manage.js";
import { sweepExports } from "../lib/exports/sweep.js";
import { visibleText } from "./support/dashboard-kit.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { exportKit } from "./support/export-kit.js";

// Exports above the workspace's threshold (issue 14): refused until an owner approves,
// produced by a queue job into sealed chunks, downloaded once, by whoever asked, within 24 h.
// The local queue here is not consumed: tests run the production job themselves.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());
const { tenant, number, seedContacts, call, ask, download, produce, member, chunks, statusOf, actions, lines } = exportKit(() => stack);

describe("the export-approval threshold", () => {
  it("is 1,000 rows by default; a key with settings:write sets it (audited), a key without cannot, a bad value is 422", async () => {
    const t = await tenant();
    expect((await call(t.key, "/v1/workspace/export-approval")).json).toEqual({ export_approval_threshold: 1000 });
    const put = (key: string, body: unknown) => call(key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify(body) });
    expect((await put(t.key, { export_approval_threshold: 5 })).json).toEqual({ export_approval_threshold: 5 });
    expect((await call(t.key, "/v1/workspace/export-approval")).json).toEqual({ export_approval_threshold: 5 });
    const [audit] = await stack.owner<{ details: unknown }[]>`select details from audit_log where workspace_id = ${t.workspaceId} and action = 'workspace.export_approval_threshold_set'`;
    expect(audit!.details).toEqual({ before: 1000, after: 5 });
    for (const bad of [{ export_approval_threshold: -1 }, { export_approval_threshold: 1.5 }, { export_approval_threshold: "10" }, { export_approval_threshold: 5, other: 1 }, {}]) {
      const r = await put(t.key, bad);
      expect(r.status, JSON.stringify(bad)).toBe(422);
      expect(r.json.error.code).toBe("validation_failed");
    }
    const reader = await createApiKey(stack.services, t.workspaceId, "reader", { actorType: "operator" }, { scopes: ["settings:read"] });
    expect((await put(reader.key, { export_approval_threshold: 0 })).json.error).toMatchObject({ code: "forbidden", details: { missing: ["settings:write"] } });
    expect((await call(t.key, "/v1/workspace/export-approval")).json).toEqual({ export_approval_threshold: 5 });
  });
  it("only an owner raises it: a key (even with settings:write) may lower it or set it again, a raise is 403 with nothing changed; the owner raises it on /app/exports, an admin may not", async () => {
    const t = await tenant();
    const put = (body: unknown) => call(t.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify(body) });
    const thresholdRows = async () => (await stack.owner<{ actor_id: string | null; details: unknown }[]>`select actor_id, details from audit_log where workspace_id = ${t.workspaceId} and action = 'workspace.export_approval_threshold_set' order by seq`);
    expect((await put({ export_approval_threshold: 10 })).json).toEqual({ export_approval_threshold: 10 });
    expect((await put({ export_approval_threshold: 10 })).status).toBe(200);
    // A raise would let a key export past the owner it asks: refused (from 0 too, below).
    for (const [from, to] of [[10, 11], [10, 100_000_000]] as const) {
      const r = await put({ export_approval_threshold: to });
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({ code: "forbidden", details: { missing: ["approvals:write"] } });
      expect(r.json.error.message).toContain(`now ${from}`);
    }
    expect((await put({ export_approval_threshold: 0 })).status).toBe(200);
    expect((await put({ export_approval_threshold: 1 })).status).toBe(403);
    expect((await call(t.key, "/v1/workspace/export-approval")).json).toEqual({ export_approval_threshold: 0 });
    expect((await thresholdRows()).map((r) => r.details)).toEqual([{ before: 1000, after: 10 }, { before: 10, after: 10 }, { before: 10, after: 0 }]);

    const admin = await member(t, "admin");
    expect(visibleText((await admin.get("/app/exports")).html)).not.toContain("Approval threshold");
    const refused = await admin.post("/app/exports/threshold", { export_approval_threshold: "5000" });
    expect(refused.status).toBe(403);
    expect(visibleText(refused.html)).toContain("approvals:write");
    const owner = await member(t, "owner");
    expect(visibleText((await owner.get("/app/exports")).html)).toContain("Approval threshold");
    expect((await owner.post("/app/exports/threshold", { export_approval_threshold: "2.5" })).status).toBe(422);
    expect((await owner.post("/app/exports/threshold", { export_approval_threshold: "5000" })).status).toBe(303);
    expect((await call(t.key, "/v1/workspace/export-approval")).json).toEqual({ export_approval_threshold: 5000 });
    expect((await thresholdRows()).at(-1)).toEqual({ actor_id: owner.who.userId, details: { before: 0, after: 5000 } });
    expect(await thresholdRows()).toHaveLength(4);
  });
});

describe("an export above the threshold", () => {
  it("an export refused until approved: the streamed export is 403, the asked-for one 409 until an owner approves; then produced, downloaded once", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 1001);
    // The streamed export answers up to the threshold only.
    const streamed = await call(t.key, "/v1/contacts/export");
    expect(streamed.status).toBe(403);
    expect(streamed.json.error).toMatchObject({ code: "export_approval_required", details: { rows: 1001, threshold: 1000, request: "POST /v1/exports" } });

    const asked = await ask(t.key, { kind: "contacts" });
    expect(asked.status).toBe(202);
    expect(asked.json).toMatchObject({ kind: "contacts", format: "csv", status: "pending_approval", rows: 1001, threshold: 1000, approval_required: true, download: null });
    const id = asked.json.id as string;
    // Nothing is queued, nothing is made, nothing can be downloaded.
    expect(await stack.owner`select 1 from sandesh_queue.job where name = 'export' and data->>'exportId' = ${id}`).toHaveLength(0);
    expect(await produce(t, id)).toBe("nothing");
    expect((await download(t.key, id)).json.error).toMatchObject({ code: "export_not_ready", details: { status: "pending_approval" } });
    expect((await download(t.key, id)).status).toBe(409);

    // An admin has everything but approvals: refused, and the export still waits.
    const admin = await member(t, "admin");
    const refused = await admin.post(`/app/exports/${id}/approve`);
    expect(refused.status).toBe(403);
    expect(visibleText(refused.html)).toContain("approvals:write");
    expect(await statusOf(id)).toBe("pending_approval");

    // The owner sees it waiting and approves it.
    const owner = await member(t, "owner");
    const page = await owner.get("/app/exports");
    expect(visibleText(page.html)).toContain("Waiting for your approval");
    expect(page.html).toContain(`/app/exports/${id}/approve`);
    expect((await owner.post(`/app/exports/${id}/approve`)).status).toBe(303);
    expect((await call(t.key, `/v1/exports/${id}`)).json).toMatchObject({ status: "queued", decided_by: owner.who.userId });
    expect(await stack.owner`select 1 from sandesh_queue.job where name = 'export' and data->>'exportId' = ${id}`).toHaveLength(1);
    // Approved but not yet made: still not ready.
    expect((await download(t.key, id)).json.error).toMatchObject({ code: "export_not_ready", details: { status: "queued" } });
    // A second decision is refused.
    expect((await owner.post(`/app/exports/${id}/deny`)).status).toBe(409);

    expect(await produce(t, id)).toBe("ready");
    const ready = (await call(t.key, `/v1/exports/${id}`)).json;
    expect(ready).toMatchObject({ status: "ready", rows_written: 1001, download: `/v1/exports/${id}/download` });
    expect(new Date(ready.expires_at).getTime() - new Date(ready.ready_at).getTime()).toBe(24 * 3600 * 1000);

    const file = await download(t.key, id);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(file.headers.get("content-disposition")).toContain(`contacts-${id}.csv`);
    const rows = lines(file.text);
    expect(rows[0]).toBe("wa_id,name,tags,opt_in,opt_out");
    expect(rows).toHaveLength(1002);
    expect(new Set(rows.slice(1).map((r) => r.split(",")[0])).size).toBe(1001);
    expect(rows).toContain(`${number(1001)},Name 1001,,,`);
    // Once: the second download is gone, and so is the content.
    expect((await download(t.key, id)).json.error).toMatchObject({ code: "export_gone", details: { reason: "downloaded" } });
    expect((await download(t.key, id)).status).toBe(410);
    expect(await chunks(id)).toBe(0);
    expect(await actions(id)).toEqual(["export.requested", "export.approved", "export.producing", "export.ready", "export.downloaded"]);
  });

  it("at or below the threshold the streamed export keeps working, and an export asked for is approved at once", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 1000);
    expect(lines((await call(t.key, "/v1/contacts/export")).text)).toHaveLength(1001);
    const asked = await ask(t.key, { kind: "contacts", format: "jsonl", filter: { tag: "even" } });
    expect(asked.json).toMatchObject({ status: "queued", rows: 500, approval_required: false, decided_by: null });
    // A threshold of 0: every export waits for an owner, even an empty one.
    await call(t.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify({ export_approval_threshold: 0 }) });
    expect((await call(t.key, "/v1/contacts/export")).json.error.code).toBe("export_approval_required");
    expect((await ask(t.key, { kind: "contacts", filter: { tag: "even", opted_in: false } })).json).toMatchObject({ status: "pending_approval", rows: 500 });
    expect((await ask(t.key, { kind: "contacts", filter: { tag: "no-such-tag" } })).json).toMatchObject({ status: "pending_approval", rows: 0, approval_required: true });
    // The JSON-lines file, narrowed to its filter.
    expect(await produce(t, asked.json.id)).toBe("ready");
    const file = await download(t.key, asked.json.id);
    expect(file.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const records = file.text.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(records).toHaveLength(500);
    expect(records.every((r) => r.tags.includes("even"))).toBe(true);
    expect(records[0]).toMatchObject({ wa_id: expect.stringMatching(/^9198\d{8}$/), name: expect.stringMatching(/^Name /), attributes: {}, opt_in: null });
  });

  it("a bad request is 422 naming the field, and nothing is written", async () => {
    const t = await tenant();
    for (const body of [{}, { kind: "people" }, { kind: "contacts", format: "xlsx" }, { kind: "contacts", filter: { status: "sent" } }, { kind: "messages", filter: { since: "yesterday" } }]) {
      const r = await ask(t.key, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.json.error.code).toBe("validation_failed");
    }
    expect(await stack.owner`select 1 from exports where workspace_id = ${t.workspaceId}`).toHaveLength(0);
    // Exporting rows is reading them: a key that may not read messages cannot export them.
    const contactsOnly = await createApiKey(stack.services, t.workspaceId, "c", { actorType: "operator" }, { scopes: ["exports:create", "contacts:read"] });
    expect((await ask(contactsOnly.key, { kind: "messages" })).json.error).toMatchObject({ code: "forbidden", details: { missing: ["messages:read"] } });
  });

  it("only the requester downloads: another key of the workspace and a member are 403, and the file stays for the requester", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 3);
    await stack.owner`update contacts set attributes = '{"city": "Pune"}' where workspace_id = ${t.workspaceId} and wa_id = ${number(2)}`;
    const id = (await ask(t.key, { kind: "contacts" })).json.id as string;
    expect(await produce(t, id)).toBe("ready");
    const other = await createApiKey(stack.services, t.workspaceId, "other", { actorType: "operator" });
    expect((await download(other.key, id)).json.error).toMatchObject({ code: "forbidden" });
    expect((await download(other.key, id)).status).toBe(403);
    const owner = await member(t, "owner");
    expect((await owner.get(`/app/exports/${id}/download`)).status).toBe(403);
    expect(await statusOf(id)).toBe("ready");
    // The streamed export's columns, attribute columns included.
    const rows = lines((await download(t.key, id)).text);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe("wa_id,name,tags,opt_in,opt_out,city");
    expect(rows).toContain(`${number(2)},Name 2,even,,,Pune`);
    expect(rows).toContain(`${number(1)},Name 1,,,,`);
  });

  it("the file holds no more rows than were counted and approved, however the book grew before it was made", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 1001);
    const id = (await ask(t.key, { kind: "contacts" })).json.id as string;
    const owner = await member(t, "owner");
    expect((await owner.post(`/app/exports/${id}/approve`)).status).toBe(303);
    // 1,500 more contacts arrive between the approval and the job.
    await seedContacts(t.workspaceId, 1500, 2001);
    expect(await produce(t, id)).toBe("ready");
    expect((await call(t.key, `/v1/exports/${id}`)).json).toMatchObject({ rows: 1001, rows_written: 1001 });
    expect(lines((await download(t.key, id)).text)).toHaveLength(1002);
  });

  it("the streamed contacts export holds no more rows than it counted against the threshold, however the book grows while it streams", async () => {
    const t = await tenant();
    await call(t.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify({ export_approval_threshold: 3 }) });
    await seedContacts(t.workspaceId, 3);
    const res = await stack.request("/v1/contacts/export", { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(200);
    // The answer has left (its rows are read as the body is); 2,000 more contacts arrive before it is read.
    await seedContacts(t.workspaceId, 2000, 10);
    // As many rows as were counted (the approved export's job caps alike): not the 2,003 the book holds by then.
    expect(lines(await res.text()).slice(1)).toHaveLength(3);
  });

  it("two downloads at once: one gets the file, the other 410", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 50);
    const id = (await ask(t.key, { kind: "contacts" })).json.id as string;
    await produce(t, id);
    const both = await Promise.all([download(t.key, id), download(t.key, id)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 410]);
    expect(lines(both.find((r) => r.status === 200)!.text)).toHaveLength(51);
  });

  it("after 24 h the file is gone (410) and its content deleted: by the sweep, or by the download that finds it late", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 5);
    const swept = (await ask(t.key, { kind: "contacts" })).json.id as string;
    const late = (await ask(t.key, { kind: "contacts" })).json.id as string;
    const fresh = (await ask(t.key, { kind: "contacts" })).json.id as string;
    for (const id of [swept, late, fresh]) expect(await produce(t, id)).toBe("ready");
    expect(await chunks(swept)).toBeGreaterThan(0);
    await stack.owner`update exports set ready_at = now() - interval '24 hours 1 minute' where id in ${stack.owner([swept, late])}`;
    // The sweep settles the workspaces' due exports; this one's and the late one among them.
    expect(await sweepExports(stack.services)).toBeGreaterThanOrEqual(2);
    expect(await statusOf(swept)).toBe("expired");
    expect(await chunks(swept)).toBe(0);
    expect((await download(t.key, swept)).json.error).toMatchObject({ code: "export_gone", details: { reason: "expired" } });
    expect(await actions(swept)).toContain("export.expired");
    // A download past the 24 h expires it there and then.
    await stack.owner`update exports set status = 'ready' where id = ${late}`;
    await stack.owner`update exports set ready_at = now() - interval '25 hours' where id = ${late}`;
    expect((await download(t.key, late)).status).toBe(410);
    expect(await statusOf(late)).toBe("expired");
    // Within its 24 h, untouched by the sweep.
    expect(await statusOf(fresh)).toBe("ready");
    expect(lines((await download(t.key, fresh)).text)).toHaveLength(6);
  });

  it("a requester shown masked numbers gets a file of masked numbers; a key shown whole numbers gets them whole", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 2);
    // A key like an agent: it reads contacts, but numbers only masked.
    const masked = await createApiKey(stack.services, t.workspaceId, "agent-like", { actorType: "operator" }, { scopes: ["exports:create", "contacts:read"] });
    const m = await ask(masked.key, { kind: "contacts" });
    expect(m.json).toMatchObject({ status: "queued", phones_masked: true });
    const w = await ask(t.key, { kind: "contacts" });
    expect(w.json.phones_masked).toBe(false);
    await produce(t, m.json.id);
    await produce(t, w.json.id);
    const maskedFile = (await download(masked.key, m.json.id)).text;
    expect(maskedFile).not.toContain(number(1));
    // (A cell starting with + is quoted against spreadsheet formulas, as the streamed export does.)
    expect(lines(maskedFile)).toContain("'+91 98••• ••001,Name 1,,,");
    expect(lines((await download(t.key, w.json.id)).text)).toContain(`${number(1)},Name 1,,,`);
  });

  it("messages export the same way: numbers in the row and in the content masked for a masked requester", async () => {
    const t = await tenant();
    const num = await connectTestNumber(stack, t.workspaceId);
    const to = "919812345670";
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status)
      values (${crypto.randomUUID()}, ${t.workspaceId}, ${num.id}, 'outbound', ${to}, 'text', ${stack.owner.json({ to, type: "text", text: { body: "hello" } })}, 'sent'),
             (${crypto.randomUUID()}, ${t.workspaceId}, ${num.id}, 'inbound', ${to}, 'text', ${stack.owner.json({ from: to, type: "text", text: { body: "hi back" } })}, 'received')`;
    const masked = await createApiKey(stack.services, t.workspaceId, "agent-like", { actorType: "operator" }, { scopes: ["exports:create", "messages:read"] });
    const m = await ask(masked.key, { kind: "messages", format: "jsonl", filter: { direction: "inbound" } });
    expect(m.json).toMatchObject({ kind: "messages", status: "queued", rows: 1 });
    const whole = await ask(t.key, { kind: "messages" });
    await produce(t, m.json.id);
    await produce(t, whole.json.id);
    const records = (await download(masked.key, m.json.id)).text.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(records).toEqual([expect.objectContaining({ direction: "inbound", status: "received", contact: "+91 98••• ••670", content: { from: "+91 98••• ••670", type: "text", text: { body: "hi back" } } })]);
    const csv = lines((await download(t.key, whole.json.id)).text);
    expect(csv[0]).toBe("id,created_at,direction,contact,type,status,wamid,error_code,error_title,broadcast_id,content");
    expect(csv).toHaveLength(3);
    expect(csv.join("\n")).toContain(`,outbound,${to},text,sent,`);
  });

  it("a denied export stays refused: never produced, never downloaded, never approved after", async () => {
    const t = await tenant();
    await call(t.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify({ export_approval_threshold: 1 }) });
    await seedContacts(t.workspaceId, 2);
    const id = (await ask(t.key, { kind: "contacts" })).json.id as string;
    const owner = await member(t, "owner");
    expect((await owner.post(`/app/exports/${id}/deny`)).status).toBe(303);
    expect(await statusOf(id)).toBe("denied");
    expect((await download(t.key, id)).json.error).toMatchObject({ code: "export_not_ready", details: { status: "denied" } });
    expect((await owner.post(`/app/exports/${id}/approve`)).status).toBe(409);
    expect(await produce(t, id)).toBe("nothing");
    expect(await statusOf(id)).toBe("denied");
    expect(await actions(id)).toEqual(["export.requested", "export.denied"]);
  });

  it("a workspace cannot see, download or approve another's export (404)", async () => {
    const a = await tenant();
    const b = await tenant();
    await call(a.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify({ export_approval_threshold: 0 }) });
    await seedContacts(a.workspaceId, 1);
    const id = (await ask(a.key, { kind: "contacts" })).json.id as string;
    expect((await call(b.key, `/v1/exports/${id}`)).status).toBe(404);
    expect((await download(b.key, id)).json.error.code).toBe("not_found");
    expect((await call(b.key, "/v1/exports")).json.data).toEqual([]);
    expect((await call(a.key, "/v1/exports")).json.data.map((e: { id: string }) => e.id)).toEqual([id]);
    const ownerOfB = await member(b, "owner");
    expect((await ownerOfB.post(`/app/exports/${id}/approve`)).status).toBe(404);
    expect(await statusOf(id)).toBe("pending_approval");
    expect((await call(a.key, "/v1/exports/not-a-uuid")).status).toBe(404);
  });

  it("the sealed chunks hold no plaintext: no phone number, no name, no header", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 2500);
    const id = (await ask(t.key, { kind: "contacts" })).json.id as string;
    const owner = await member(t, "owner");
    await owner.post(`/app/exports/${id}/approve`);
    expect(await produce(t, id)).toBe("ready");
    const rows = await stack.owner<{ seq: number; data: Buffer }[]>`select seq, data_ciphertext as data from export_chunks where export_id = ${id} order by seq`;
    // A chunk a page: 2,500 rows in three.
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2]);
    const all = Buffer.concat(rows.map((r) => r.data)).toString("latin1");
    for (const i of [1, 1000, 2500]) expect(all).not.toContain(number(i));
    expect(all).not.toContain("919800");
    expect(all).not.toContain("Name ");
    expect(all).not.toContain("wa_id");
    // A chunk moved to another place does not open: the additional data names it.
    await stack.owner`update export_chunks set seq = 9 where export_id = ${id} and seq = 0`;
    await stack.owner`update export_chunks set seq = 0 where export_id = ${id} and seq = 1`;
    const moved = await stack.request(`/v1/exports/${id}/download`, { headers: { authorization: `Bearer ${t.key}` } });
    await expect(moved.text()).rejects.toThrow();
  });
});
