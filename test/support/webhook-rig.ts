import { afterAll, beforeAll } from "vitest";
import { startWorkers } from "../../dev/queue.js";
import type { Clock } from "../../lib/clock.js";
import { createTestStack, type TestStack } from "./stack.js";
import { startReceiver, type Receiver } from "./webhook-receiver.js";

/** A test file's stack on the local queue with its delivery workers, and a receiver: set up before, closed after. */
export function webhookRig(opts: { clock?: Clock } = {}): { stack: TestStack; receiver: Receiver } {
  const rig = {} as { stack: TestStack; receiver: Receiver };
  let stopWorkers: (() => void) | undefined;
  beforeAll(async () => {
    rig.stack = await createTestStack({}, { localQueue: true, ...(opts.clock ? { clock: opts.clock } : {}) });
    rig.receiver = await startReceiver();
    stopWorkers = await startWorkers(rig.stack.services, { concurrency: 4 });
  });
  afterAll(async () => {
    stopWorkers?.();
    await rig.receiver?.close();
    await rig.stack?.close();
  });
  return rig;
}
