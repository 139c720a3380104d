import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBrowser } from "./harness/lifecycle.js";
import { startBrowserSandesh, type BrowserSandesh } from "./harness/sandesh.js";

/**
 * What every browser test stands on, proven here first: Debian's Chromium starts under
 * playwright-core, the DevTools virtual authenticator answers WebAuthn ceremonies with
 * user verification, http://localhost is a secure context that keeps a `__Host-`
 * Secure cookie (the session cookie's shape), and the browser reaches Sandesh as
 * `npm start` runs it.
 */
const b = useBrowser();

// A bare origin on localhost: the cookie rules and WebAuthn are Chromium's, not Sandesh's.
let probe: Server;
let origin: string;
beforeAll(async () => {
  probe = createServer((req, res) => {
    if (req.url === "/set") {
      res.setHeader("set-cookie", [
        "__Host-probe=kept; Secure; HttpOnly; SameSite=Lax; Path=/",
        // A __Host- cookie that names a Domain breaks the prefix's rules: Chromium drops it.
        "__Host-scoped=dropped; Secure; Path=/; Domain=localhost",
      ]);
    }
    res.setHeader("content-type", req.url === "/echo" ? "text/plain" : "text/html");
    res.end(req.url === "/echo" ? `cookie: ${req.headers.cookie ?? ""}` : "<!doctype html><title>probe</title><p>probe</p>");
  });
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  origin = `http://localhost:${(probe.address() as AddressInfo).port}`;
});
afterAll(async () => {
  probe.closeAllConnections();
  await new Promise((r) => probe.close(r));
});

describe("Chromium in this environment", () => {
  it("treats http://localhost as a secure context and keeps a __Host- Secure cookie, sending it back", async () => {
    const { context, page } = await b.device();
    await page.goto(`${origin}/set`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    const cookies = await context.cookies(origin);
    expect(cookies.map((c) => c.name)).toEqual(["__Host-probe"]);
    expect(cookies[0]).toMatchObject({ value: "kept", secure: true, httpOnly: true, sameSite: "Lax", path: "/" });
    await page.goto(`${origin}/echo`);
    expect(await page.textContent("body")).toBe("cookie: __Host-probe=kept");
    // HttpOnly: the page's own scripts never see it.
    expect(await page.evaluate(() => document.cookie)).toBe("");
  });

  it("registers a discoverable, user-verified credential on the virtual authenticator and signs in with it by no user name", async () => {
    const { page, authenticator } = await b.device({ authenticator: true });
    await page.goto(`${origin}/`);
    const created = await page.evaluate(async () => {
      const cred = (await navigator.credentials.create({
        publicKey: {
          challenge: crypto.getRandomValues(new Uint8Array(32)),
          rp: { id: "localhost", name: "probe" },
          user: { id: new TextEncoder().encode("user-1"), name: "probe@example.test", displayName: "Probe" },
          pubKeyCredParams: [{ type: "public-key", alg: -7 }],
          authenticatorSelection: { residentKey: "required", userVerification: "required" },
        },
      })) as PublicKeyCredential;
      const data = new Uint8Array((cred.response as AuthenticatorAttestationResponse).getAuthenticatorData());
      return { id: cred.id, attachment: cred.authenticatorAttachment, flags: data[32]! };
    });
    expect(created.attachment).toBe("platform");
    // Flags: UP (0x01), UV (0x04), AT (0x40, attested credential data follows).
    expect(created.flags & 0x45).toBe(0x45);
    const stored = await authenticator!.credentials();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ isResidentCredential: true, rpId: "localhost" });

    const assert = () =>
      page.evaluate(async () => {
        try {
          const cred = (await navigator.credentials.get({
            publicKey: { challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: "localhost", userVerification: "required" },
          })) as PublicKeyCredential;
          const r = cred.response as AuthenticatorAssertionResponse;
          return { id: cred.id, user: new TextDecoder().decode(r.userHandle!), flags: new Uint8Array(r.authenticatorData)[32]! };
        } catch (err) {
          return { error: (err as Error).name };
        }
      });
    const signedIn = await assert();
    expect(signedIn).toMatchObject({ id: created.id, user: "user-1" });
    expect((signedIn as { flags: number }).flags & 0x05).toBe(0x05);
    expect((await authenticator!.credentials())[0]!.signCount).toBe(2);

    // A failed verification (the wrong finger) ends the ceremony: nothing is asserted.
    await authenticator!.setUserVerified(false);
    expect(await assert()).toEqual({ error: "NotAllowedError" });
  });
});

describe("Sandesh as npm start runs it, seen from the browser", () => {
  let sandesh: BrowserSandesh;
  beforeAll(async () => {
    sandesh = await startBrowserSandesh();
  });
  afterAll(async () => {
    await sandesh?.stop();
  });

  it("answers on http://localhost:<port>, its PUBLIC_URL, as a secure context", async () => {
    const { page } = await b.device();
    const res = await page.goto(`${sandesh.url}/healthz`);
    expect(res?.status()).toBe(200);
    expect(JSON.parse((await page.textContent("body"))!)).toMatchObject({ status: "ok" });
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
  });
});
