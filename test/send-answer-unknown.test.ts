import { describe, expect, it } from "vitest";
import { applyUnsettledTags } from "../lib/jobs/lease.js";
import { runSendJob } from "../lib/jobs/send.js";
import { fetchPost, type MetaPost } from "../lib/meta/client.js";
import { SEND_RETRIES } from "../lib/queue/port.js";
import { eventually } from "./support/eventually.js";
import { jobSender, useJobStack } from "./support/job-kit.js";

// An answer without a wamid may hide a message Meta took: never posted again, settled by Meta's statuses.
const j = useJobStack();
const first = { retried: 0, maxRetries: SEND_RETRIES };
const row = async (id: string) => (await j.stack.owner`select status from messages where id = ${id}`)[0]!;

/** Meta takes every POST (the sandbox records it and posts its statuses), but the caller reads `answer` instead. */
function answering(answer: { status: number; text: string }) {
  const posts: string[] = [];
  const post: MetaPost = async (url, headers, body) => {
    posts.push(body);
    await fetchPost(url, headers, body);
    return answer;
  };
  return { post, posts };
}

async function sendThrough(answer: { status: number; text: string }, to: string) {
  const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
  const id = await s.send(to);
  const stub = answering(answer);
  const services = { ...j.stack.services, metaPost: stub.post };
  const out = await runSendJob(services, { messageId: id, workspaceId: s.workspaceId }, first);
  // A redelivery of the job (QStash retries a 5xx answer, the sweep revives) posts nothing either.
  const again = await runSendJob(services, { messageId: id, workspaceId: s.workspaceId }, { retried: 1, maxRetries: SEND_RETRIES });
  return { s, id, out, again, posts: stub.posts };
}

describe("a send answered without a message id is outcome unknown, posted once", () => {
  it('200 "{}": exactly one POST, failed outcome_unknown, then Meta\'s tagged statuses settle it', async () => {
    const to = "919822300001";
    const { s, id, out, again, posts } = await sendThrough({ status: 200, text: "{}" }, to);
    expect(out).toMatchObject({ kind: "failed", reason: "outcome_unknown" });
    expect(again.kind).toBe("skipped");
    expect(posts).toHaveLength(1);
    // Failed first (Meta's statuses may already have settled the row by now).
    const history = await j.stack.owner`select status from message_events where message_id = ${id} order by occurred_at, id`;
    expect(history.map((e) => e.status)).toContain("failed");
    // Meta's statuses carry `sandesh:<id>` in biz_opaque_callback_data: they name the message.
    await j.sandbox.idle();
    await applyUnsettledTags(j.stack.services, 0);
    const m = await eventually(() => s.get(id), (v) => v.status === "read");
    expect(j.sandbox.sent.filter((x) => x.to === to).map((x) => x.id)).toEqual([m.wamid]);
  });

  it("a truncated 200 body is outcome unknown, not retried", async () => {
    const { out, posts } = await sendThrough({ status: 200, text: '{"messaging_product":"whatsapp","contacts":[{"in' }, "919822300002");
    expect(out).toMatchObject({ kind: "failed", reason: "outcome_unknown" });
    expect(posts).toHaveLength(1);
  });

  it("a gateway's 504 HTML page is outcome unknown: one POST", async () => {
    const to = "919822300003";
    const { out, again, posts } = await sendThrough({ status: 504, text: "<html><body>504 Gateway Time-out</body></html>" }, to);
    expect(out).toMatchObject({ kind: "failed", reason: "outcome_unknown" });
    expect(again.kind).toBe("skipped");
    expect(posts).toHaveLength(1);
    expect(j.sandbox.attempts.filter((a) => a.to === to)).toHaveLength(1);
  });

  it("Graph's own JSON error with a retryable code stays retryable", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919822300004");
    const graph500 = { status: 500, text: JSON.stringify({ error: { message: "(#131000) Something went wrong", type: "OAuthException", code: 131000, fbtrace_id: "A" } }) };
    const posts: string[] = [];
    const services = { ...j.stack.services, metaPost: (async (_u, _h, body) => (posts.push(body), graph500)) as MetaPost };
    const out = await runSendJob(services, { messageId: id, workspaceId: s.workspaceId }, first);
    expect(out.kind).toBe("retry");
    expect(await row(id)).toMatchObject({ status: "retrying" });
    expect(posts).toHaveLength(1);
  });
});
