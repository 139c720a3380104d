import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Another web origin on this machine (http://localhost:<port>): a partner the
 * allow-list names, or a foreign page. Same site as Sandesh (ports do not make sites),
 * so SameSite=Lax alone would let its form posts carry the session cookie: what stops
 * them is the Origin check and the CSRF token.
 */
export interface PlainOrigin {
  url: string;
  close(): Promise<void>;
}

export async function startPlainOrigin(): Promise<PlainOrigin> {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end("<!doctype html><title>elsewhere</title><p>elsewhere</p>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
