import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSingleConnectionClient } from "../db/client.js";
import { uuidv7 } from "../lib/ids.js";
import { createMarkWriter, type MarkWriter } from "../lib/jobs/mark-writer.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * The Node process's posting marks (lib/jobs/mark-writer.ts): the marks of several
 * workspaces share one pipelined transaction, each under its own tenant's scope, and a
 * mark is written only for a claim that is still this attempt's `sending`.
 */
describe("the posting mark writer", () => {
  let stack: TestStack;
  let writer: MarkWriter;
  beforeAll(async () => {
    stack = await createTestStack();
    writer = createMarkWriter(createSingleConnectionClient(stack.config.databaseUrl));
  }, 60_000);
  afterAll(async () => {
    await writer?.close();
    await stack?.close();
  });

  /** A message of the workspace claimed by a worker: `sending` at attempt 1, inside its lease. */
  const claimed = async (workspaceId: string, numberId: string, status = "sending") => {
    const id = uuidv7(Date.now());
    await stack.owner`
      insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, attempts, claimed_until)
      values (${id}, ${workspaceId}, ${numberId}, 'outbound', '919876500001', 'text', '{}'::jsonb, ${status}, 1, now() + interval '1 minute')`;
    return id;
  };
  const marksOf = (ids: string[]) => stack.owner<{ message_id: string; workspace_id: string; dedupe_key: string }[]>`
    select message_id, workspace_id, dedupe_key from message_events where message_id = any(${ids}::uuid[]) and status = 'sending' order by dedupe_key`;

  it("marks the claims of two workspaces at once, each under its own scope", async () => {
    const [a, b] = [await stack.tenant("A"), await stack.tenant("B")];
    const [na, nb] = [await connectTestNumber(stack, a.workspaceId), await connectTestNumber(stack, b.workspaceId)];
    const ours = [await claimed(a.workspaceId, na.id), await claimed(a.workspaceId, na.id), await claimed(b.workspaceId, nb.id)];
    const answers = await Promise.all([writer.add(a.workspaceId, { id: ours[0]!, attempts: 1 }), writer.add(a.workspaceId, { id: ours[1]!, attempts: 1 }), writer.add(b.workspaceId, { id: ours[2]!, attempts: 1 })]);
    expect(answers).toEqual([true, true, true]);
    const marks = await marksOf(ours);
    expect(marks.map((m) => [m.message_id, m.workspace_id])).toEqual(
      expect.arrayContaining([
        [ours[0], a.workspaceId],
        [ours[1], a.workspaceId],
        [ours[2], b.workspaceId],
      ]),
    );
    expect(marks.every((m) => m.dedupe_key.endsWith(":sending:1"))).toBe(true);
  });

  it("answers false, and writes nothing, for a claim that is not this attempt's, another workspace's, or no longer sending", async () => {
    const [a, b] = [await stack.tenant("A"), await stack.tenant("B")];
    const [na, nb] = [await connectTestNumber(stack, a.workspaceId), await connectTestNumber(stack, b.workspaceId)];
    const laterAttempt = await claimed(a.workspaceId, na.id);
    const othersMessage = await claimed(b.workspaceId, nb.id);
    const sent = await claimed(a.workspaceId, na.id, "sent");
    const fine = await claimed(a.workspaceId, na.id);
    const answers = await Promise.all([
      writer.add(a.workspaceId, { id: laterAttempt, attempts: 2 }),
      // Named under A's scope: B's row is not visible there.
      writer.add(a.workspaceId, { id: othersMessage, attempts: 1 }),
      writer.add(a.workspaceId, { id: sent, attempts: 1 }),
      writer.add(a.workspaceId, { id: fine, attempts: 1 }),
    ]);
    expect(answers).toEqual([false, false, false, true]);
    expect((await marksOf([laterAttempt, othersMessage, sent, fine])).map((m) => m.message_id)).toEqual([fine]);
  });

  it("a stale claim in the same flush as the claim that took the message back is not marked", async () => {
    const a = await stack.tenant("A");
    const na = await connectTestNumber(stack, a.workspaceId);
    const id = await claimed(a.workspaceId, na.id);
    // Released after its lease lapsed and claimed again: the row is at attempt 2 now.
    await stack.owner`update messages set attempts = 2 where id = ${id}`;
    const answers = await Promise.all([writer.add(a.workspaceId, { id, attempts: 1 }), writer.add(a.workspaceId, { id, attempts: 2 })]);
    expect(answers).toEqual([false, true]);
    expect((await marksOf([id])).map((m) => m.dedupe_key)).toEqual([`local:${id}:sending:2`]);
  });

  it("a workspace whose marks the database refuses holds back its own sends only", async () => {
    const [a, b] = [await stack.tenant("A"), await stack.tenant("B")];
    const nb = await connectTestNumber(stack, b.workspaceId);
    const good = await claimed(b.workspaceId, nb.id);
    const answers = await Promise.allSettled([writer.add(a.workspaceId, { id: "not-a-uuid", attempts: 1 }), writer.add(b.workspaceId, { id: good, attempts: 1 })]);
    expect(answers[0]!.status).toBe("rejected");
    expect(answers[1]).toEqual({ status: "fulfilled", value: true });
    expect((await marksOf([good])).map((m) => m.message_id)).toEqual([good]);
  });
});
