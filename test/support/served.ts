import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import type { TestStack } from "./stack.js";

/** The stack's app on a real port, so stand-ins outside (Meta, QStash) can call it. */
export async function serveStack(stack: TestStack): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: (req) => stack.app.fetch(req, { services: stack.services, ip: "127.0.0.1" }), port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}
