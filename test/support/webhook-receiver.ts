import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** What a workspace's server saw: one entry per POST, in arrival order. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The answers for one path, in order; the last one repeats. Default: 200 "ok". */
  answer(path: string, answers: { status: number; body?: string }[]): void;
  on(path: string): Received[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0: the customer's end of an outgoing webhook. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const scripts = new Map<string, { status: number; body?: string }[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const script = scripts.get(path) ?? [];
      const next = script.length > 1 ? script.shift()! : (script[0] ?? { status: 200, body: "ok" });
      res.writeHead(next.status, { "content-type": "text/plain" }).end(next.body ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (path, answers) => void scripts.set(path, [...answers]),
    on: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
