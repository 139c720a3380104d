import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSingleConnectionClient } from "../db/client.js";
import { ConnectionLost } from "../db/dedicated.js";
import { pipelinedTransaction, writerLanes } from "../db/pipelined.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * The dedicated connections of the group-commit writers (db/pipelined.ts): a flush past
 * its deadline fails and its connection goes; when that wedged flush fails at last, it
 * must not end the connection the lane opened for the flushes after it.
 */
describe("a writer's lanes", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack();
  }, 60_000);
  afterAll(() => stack?.close());

  it("a flush that fails after its deadline leaves the next flush's connection alone", async () => {
    const lanes = writerLanes(createSingleConnectionClient(stack.config.databaseUrl), 1, 300);
    try {
      let wedged: Promise<unknown> = Promise.resolve();
      const first = lanes.run((conn) => {
        wedged = pipelinedTransaction(conn, async (t) => void (await t`select pg_sleep(1.5)`)).catch(() => undefined);
        return wedged;
      });
      await expect(first).rejects.toBeInstanceOf(ConnectionLost);
      // The lane's next connection, opened while the wedged flush still waits for its answer.
      const one = async () => lanes.run(async (conn) => (await (await conn.session()).sql`select 1 as n`)[0]!.n);
      expect(await one()).toBe(1);
      await wedged;
      expect(await one()).toBe(1);
    } finally {
      await lanes.close();
    }
  });

  it("refuses work once closed", async () => {
    const lanes = writerLanes(createSingleConnectionClient(stack.config.databaseUrl), 1, 1000);
    await lanes.close();
    await expect(lanes.run(async () => 1)).rejects.toBeInstanceOf(ConnectionLost);
  });
});
