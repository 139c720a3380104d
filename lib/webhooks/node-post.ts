import { promises as dns } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { AddressRefused, RESPONSE_BYTES, type WebhookPost } from "./transport.js";
import { isPublicAddress } from "./url.js";

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolve: Resolve = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * The Node process's webhook poster closes the DNS gap the literal URL check leaves: the
 * name is resolved here, once; in production every address it resolves to must be
 * public (one private answer among public ones is how rebinding hides); and the socket
 * connects to the address that was checked, never to a second resolution. The name still
 * goes out as the Host header and as TLS SNI, so certificates are checked as usual.
 * Outside production any address is allowed (a developer's receiver is on loopback).
 */
export function createNodeWebhookPost(opts: { production: boolean; resolve?: Resolve }): WebhookPost {
  const resolve = opts.resolve ?? systemResolve;
  // Kept-alive sockets were each opened to a checked address.
  const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };
  return (url, headers, body, timeoutMs) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const resolved = isIP(host) ? Promise.resolve([{ address: host, family: isIP(host) }]) : resolve(host);
    return abortable(resolved, signal).then((addresses) => {
      if (!addresses.length) throw new Error(`no address for ${host}`);
      const verifiedPublic = addresses.every((a) => isPublicAddress(a.address));
      if (opts.production && !verifiedPublic) throw new AddressRefused(host);
      const pinned = addresses[0]!;
      const lookup: LookupFunction = (_name, options, cb) => (options.all ? cb(null, [pinned]) : cb(null, pinned.address, pinned.family));
      const mod = url.protocol === "https:" ? https : http;
      const agent = agents[url.protocol as keyof typeof agents];
      if (!agent) throw new Error(`unsupported protocol ${url.protocol}`);
      return new Promise((resolveAnswer, reject) => {
        const req = mod.request(
          { protocol: url.protocol, hostname: host, port: url.port || undefined, path: `${url.pathname}${url.search}`, method: "POST", agent, lookup, signal, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            const done = () => resolveAnswer({ status: res.statusCode ?? 0, head: Buffer.concat(chunks).subarray(0, RESPONSE_BYTES).toString("utf8"), verifiedPublic });
            res.on("data", (c: Buffer) => {
              chunks.push(c);
              size += c.length;
              // Enough read: the rest of an answer of any size is not ours to wait for.
              if (size >= RESPONSE_BYTES) (done(), res.destroy());
            });
            res.on("end", done);
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    });
  };
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
