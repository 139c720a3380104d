import type { IncomingMessage } from "node:http";
import { clientAddress, type TrustProxy } from "../lib/client-address.js";

/** The Node process's client address: the socket's, or a trusted proxy's header (TRUST_PROXY). */
export function nodeClientIp(trust: TrustProxy, incoming: IncomingMessage | undefined): { ip?: string } {
  const header = (name: string) => {
    const h = incoming?.headers[name];
    return Array.isArray(h) ? h.join(",") : h;
  };
  const ip = clientAddress(trust, incoming?.socket.remoteAddress, header);
  return ip ? { ip } : {};
}
