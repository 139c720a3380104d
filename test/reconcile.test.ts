import { describe, expect, it } from "vitest";
import { applyUnsettledTags, settleLapsedMessages } from "../lib/jobs/lease.js";
import { runSendJob } from "../lib/jobs/send.js";
import { readTag, tagSend } from "../lib/meta/tag.js";
import { SEND_RETRIES } from "../lib/queue/port.js";
import { eventually } from "./support/eventually.js";
import { jobSender, useJobStack } from "./support/job-kit.js";
import { envelope, sign, statusValue } from "./support/meta-payloads.js";
import { TEST_SECRETS, type TestStack } from "./support/stack.js";

// Meta's own status webhooks settle a send whose answer was lost. This file plays the queue.
const j = useJobStack();

const first = { retried: 0, maxRetries: SEND_RETRIES };
const row = async (id: string) => (await j.stack.owner`select status, wamid, error_reason, error_title from messages where id = ${id}`)[0]!;
const deliver = (payload: unknown) => {
  const body = JSON.stringify(payload);
  return j.stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
};

describe("biz_opaque_callback_data: Sandesh's mark and the client's value", () => {
  it("carries the message id, keeps the client's value inside it, and reads both back", () => {
    const id = "0190a0b0-0000-7000-8000-000000000001";
    expect(tagSend(id, { to: "1" })).toEqual({ to: "1", biz_opaque_callback_data: `sandesh:${id}` });
    const tagged = tagSend(id, { biz_opaque_callback_data: "order|42" }).biz_opaque_callback_data;
    expect(tagged).toBe(`sandesh:${id}|order|42`);
    expect(readTag(tagged)).toEqual({ messageId: id, clientValue: "order|42" });
    expect(readTag("order-42")).toEqual({ messageId: null, clientValue: "order-42" });
    // Too long to carry the mark within Meta's 512: sent as the client gave it.
    const long = "x".repeat(500);
    expect(tagSend(id, { biz_opaque_callback_data: long }).biz_opaque_callback_data).toBe(long);
  });

  it("the client's own value reaches Meta inside the mark and comes back to the client unchanged", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919822200001", { biz_opaque_callback_data: "order-42" });
    await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId }, first);
    const m = await eventually(() => s.get(id), (v) => v.status === "read");
    const atMeta = j.sandbox.sent.find((x) => x.id === m.wamid)!;
    expect(atMeta.body.biz_opaque_callback_data).toBe(`sandesh:${id}|order-42`);
    expect(m.content.biz_opaque_callback_data).toBe("order-42");
    const events = await eventually(() => s.events(id), (e) => e.some((x) => x.type === "message.read"));
    const fromMeta = events.filter((e) => e.type === "message.delivered" || e.type === "message.read");
    expect(fromMeta.length).toBeGreaterThanOrEqual(2);
    for (const e of fromMeta) expect(e.data.biz_opaque_callback_data).toBe("order-42");
    expect(JSON.stringify(events)).not.toContain("sandesh:");
  });
});

describe("a send whose outcome is unknown is settled by Meta's statuses, never sent again", () => {
  it("the connection drops after Meta took it: failed `outcome_unknown` at once, then Meta's statuses move it to read", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const to = "919822200408"; // the j.sandbox takes it, then drops the connection
    const id = await s.send(to);
    const out = await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId }, first);
    expect(out).toMatchObject({ kind: "failed", reason: "outcome_unknown" });
    // A status committed while the job was settling the message waits for the sweep's next pass.
    await j.sandbox.idle();
    await applyUnsettledTags(j.stack.services, 0);
    const m = await eventually(() => s.get(id), (v) => v.status === "read");
    const taken = j.sandbox.sent.filter((x) => x.to === to);
    expect(taken).toHaveLength(1);
    expect(m.wamid).toBe(taken[0]!.id);
    expect(m.error).toBeNull();
    const types = (await s.events(id)).map((e) => e.type);
    expect(types[0], JSON.stringify(types)).toBe("message.failed");
    expect(types, JSON.stringify(types)).toEqual(expect.arrayContaining(["message.sent", "message.delivered", "message.read"]));
    // A later delivery of the job finds it finished.
    expect((await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId }, { retried: 1, maxRetries: SEND_RETRIES })).kind).toBe("skipped");
    expect(j.sandbox.attempts.filter((a) => a.to === to)).toHaveLength(1);
  });

  it("a status naming a message still `sending` waits; when the lease lapses the sweep settles it with that status", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919822200002");
    await j.stack.owner`update messages set status = 'sending', attempts = 1, claimed_until = now() + interval '1 minute' where id = ${id}`;
    // Its worker had marked it as posting (Meta has it, after all).
    await j.stack.owner`insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key) values (${s.workspaceId}, ${id}, 'sending', now(), ${`local:${id}:sending:1`})`;
    const wamid = `wamid.HBgM${Date.now()}reconcile`;
    const res = await deliver(envelope(s.number.phone_number_id, statusValue(wamid, "delivered", Math.floor(Date.now() / 1000), "919822200002", { biz_opaque_callback_data: `sandesh:${id}` })));
    expect(res.status).toBe(200);
    expect(await row(id)).toMatchObject({ status: "sending", wamid: null });
    const [waiting] = await j.stack.owner`select message_id from status_backlog where wamid = ${wamid}`;
    expect(waiting!.message_id).toBe(id);

    await j.stack.owner`update messages set claimed_until = now() - interval '1 second' where id = ${id}`;
    await settleLapsedMessages(j.stack.services);
    expect(await row(id)).toMatchObject({ status: "delivered", wamid, error_reason: null, error_title: null });
    expect(await j.stack.owner`select 1 from status_backlog where wamid = ${wamid}`).toHaveLength(0);
    expect((await s.events(id)).map((e) => e.type).sort()).toEqual(["message.delivered", "message.failed"]);
  });

  it("a tag naming another workspace's message settles nothing there", async () => {
    const a = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const b = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await b.send("919822200003");
    await j.stack.owner`update messages set status = 'failed', error_reason = 'outcome_unknown' where id = ${id}`;
    const wamid = `wamid.HBgM${Date.now()}foreign`;
    await deliver(envelope(a.number.phone_number_id, statusValue(wamid, "read", Math.floor(Date.now() / 1000), "919822200003", { biz_opaque_callback_data: `sandesh:${id}` })));
    expect(await row(id)).toMatchObject({ status: "failed", wamid: null });
  });
});
