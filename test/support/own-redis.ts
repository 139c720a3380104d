import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { eventually } from "./eventually.js";
import { createTestStack, type TestStack } from "./stack.js";

export type OwnRedis = Awaited<ReturnType<typeof startOwnRedis>>;

/** A test stack on a Redis of the file's own: started before the file's tests, stopped after. */
export function useOwnRedisStack(): { stack: TestStack; redis: OwnRedis } {
  const h = {} as { stack: TestStack; redis: OwnRedis };
  beforeAll(async () => {
    h.redis = await startOwnRedis();
    h.stack = await createTestStack({ REDIS_URL: h.redis.url });
  });
  afterAll(async () => {
    await h.stack?.close();
    await h.redis?.stop();
  });
  return h;
}

/**
 * A redis-server of the test's own, on a random high port, without persistence: a
 * restart loses everything, as a Redis without RDB/AOF does. The shared Redis is never touched.
 */
export async function startOwnRedis(): Promise<{ url: string; restart(): Promise<void>; stop(): Promise<void> }> {
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  let child: ChildProcess | undefined;
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const sock = createConnection({ port, host: "127.0.0.1" }, () => (sock.end(), resolve(true)));
      sock.on("error", () => resolve(false));
    });
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await eventually(accepts, (up) => up, 10_000);
  };
  const stop = async () => {
    // A child killed by a signal keeps exitCode null: signalCode says it is gone (a second stop, or restart after stop).
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, restart: async () => (await stop(), await start()), stop };
}
