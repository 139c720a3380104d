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

/**
 * A port first, the app later: for stacks whose config must name their own URL (PUBLIC_URL).
 * `clientIp` picks the client address per request (default 127.0.0.1): suites that make
 * many sign-in attempts give each simulated browser its own, as real ones would have.
 */
export async function serveLater(clientIp: (req: Request) => string = () => "127.0.0.1"): Promise<{ url: string; attach(stack: TestStack): void; close(): Promise<void> }> {
  let target: TestStack | undefined;
  return new Promise((resolve) => {
    const server = serve(
      {
        fetch: (req) => (target ? target.app.fetch(req, { services: target.services, ip: clientIp(req) }) : new Response("not ready", { status: 503 })),
        port: 0,
        hostname: "127.0.0.1",
      },
      (info: AddressInfo) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          attach: (stack) => (target = stack),
          close: () => new Promise<void>((r) => server.close(() => r())),
        });
      },
    );
  });
}
