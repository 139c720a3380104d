import { afterAll, beforeAll } from "vitest";
import { freePort, startTs, type Running } from "./spawn.js";
import { childEnv, createTestStack, type TestStack } from "./stack.js";

export interface WorkerOnStack {
  stack: TestStack;
  worker: Running;
  /** The Worker's own origin (`http://127.0.0.1:<port>`), also its PUBLIC_URL. */
  base: string;
}

/**
 * `npm run dev:worker` (workerd) on the file's own test stack, started before the file's
 * tests and stopped after them. The fields are set once beforeAll has run.
 */
export function workerOnStack(): WorkerOnStack {
  const w = {} as WorkerOnStack;
  let worker: Running | undefined;
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = w.stack = await createTestStack();
    const port = await freePort();
    w.base = `http://127.0.0.1:${port}`;
    worker = w.worker = startTs("dev/worker.ts", { ...childEnv(stack), PORT: String(port), PUBLIC_URL: w.base });
    await worker.waitFor(/listening on/, 120_000);
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  }, 30_000);
  return w;
}
