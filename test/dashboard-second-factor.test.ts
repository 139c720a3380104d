import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCodeAt } from "../lib/factors/totp.js";
import { SESSION_COOKIE } from "../lib/sessions/auth.js";
import { createSession } from "../lib/sessions/create.js";
import { jarOf, pageClient, signedInBrowser, visibleText, type Browser } from "./support/dashboard-kit.js";
import { signIn } from "./support/people-kit.js";
import { scanQr } from "./support/qr-scan.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// The clock moves by whole TOTP steps: a code is good once, in its own 30 seconds.
let now = new Date("2030-06-01T20:00:00.000Z");
const nextStep = () => (now = new Date(now.getTime() + 30_000));
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { clock: { now: () => now } });
});
afterAll(async () => {
  await stack?.close();
});

/** Sets the app up from the security page: the key from the enrolment page, the first code confirmed. */
async function enrol(b: Browser): Promise<{ secret: string; codes: string[]; page: string }> {
  const started = await b.post("/app/security/totp/enrol");
  expect(started.status).toBe(201);
  const secret = /aria-label="The set-up key">([A-Z2-7]+)</.exec(started.html)?.[1];
  expect(secret).toBeDefined();
  expect(started.html).toContain("otpauth://totp/");
  const confirmed = await b.post("/app/security/totp/confirm", { code: totpCodeAt(secret!, now) });
  expect(confirmed.status).toBe(201);
  const codes = [...confirmed.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
  return { secret: secret!, codes, page: confirmed.html };
}

/** A Google sign-in: no user verification, so no second factor in the session. */
async function googleSession(userId: string, workspaceId: string) {
  const c = await createSession(stack.services, { userId, method: "google", userVerified: false, workspaceId });
  return pageClient(stack, jarOf(`${SESSION_COOKIE}=${c.token}`), c.session.csrfToken);
}

describe("second factor on the security page", () => {
  it("sets up the app: the key once, a wrong code refused on the page, the first code steps up to a new session with ten recovery codes", async () => {
    nextStep();
    const b = await signedInBrowser(stack);
    expect(visibleText((await b.get("/app/security")).html)).toContain("Set up an authenticator app");
    const started = await b.post("/app/security/totp/enrol");
    const secret = /aria-label="The set-up key">([A-Z2-7]+)</.exec(started.html)![1]!;
    expect(started.headers.get("cache-control")).toBe("no-store");
    // The QR code is drawn here (no request elsewhere) and scans to the link's otpauth:// URI.
    const uri = /<a href="(otpauth:\/\/[^"]+)">/.exec(started.html)![1]!.replace(/&amp;/g, "&");
    expect(uri).toContain(`secret=${secret}`);
    expect(scanQr(started.html)).toBe(uri);
    expect(started.html).toMatch(/<svg class="qr" role="img" aria-label="QR code for the authenticator app to scan"/);
    const qr = /<svg class="qr"[\s\S]*?<\/svg>/.exec(started.html)![0];
    expect(qr.replace('xmlns="http://www.w3.org/2000/svg"', "")).not.toMatch(/href|https?:|url\(/);
    const wrong = await b.post("/app/security/totp/confirm", { code: totpCodeAt(secret, new Date(now.getTime() - 120_000)) });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('role="alert"');
    expect(wrong.html).not.toContain(secret);
    const oldCookie = b.who.cookie;
    const confirmed = await b.post("/app/security/totp/confirm", { code: totpCodeAt(secret, now) });
    expect(confirmed.status).toBe(201);
    expect(confirmed.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=ses_`))).toBe(true);
    const codes = [...confirmed.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)];
    expect(codes).toHaveLength(10);
    expect(confirmed.html).not.toContain(secret);
    // The old session ended with the step-up; the new one is this browser's.
    expect((await pageClient(stack, jarOf(oldCookie)).get("/app")).status).toBe(303);
    const page = await b.get("/app/security");
    expect(page.status).toBe(200);
    expect(visibleText(page.html)).toMatch(/On since 2030-06-01 20:00:\d\d UTC\. 10 of 10 recovery codes left\./);
    expect(page.html).not.toContain(codes[0]![1]!);
    expect(stack.logs.join("\n")).not.toContain(secret);
    expect(stack.logs.join("\n")).not.toContain("otpauth://");
  });

  it("new recovery codes and switching off need a fresh second factor; switching off signs the other sessions out", async () => {
    nextStep();
    const b = await signedInBrowser(stack);
    const first = await enrol(b);
    // Within ten minutes of the step-up no code is asked.
    const fresh = await b.post("/app/security/recovery-codes");
    expect(fresh.status).toBe(201);
    const codes = [...fresh.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect(codes).not.toContain(first.codes[0]);

    now = new Date(now.getTime() + 11 * 60_000);
    const stale = await b.post("/app/security/totp/disable");
    expect(stale.status).toBe(401);
    expect(visibleText(stale.html)).toContain("Confirm with a current code");
    const other = await signedInBrowser(stack, { workspaceId: b.who.workspaceId, email: b.who.email });
    const off = await b.post("/app/security/totp/disable", { code: totpCodeAt(first.secret, now) });
    expect(off.status).toBe(303);
    expect(visibleText((await b.get("/app/security")).html)).toContain("The authenticator app is switched off");
    expect((await other.get("/app")).status).toBe(303);
  });

  it("owners see the workspace's switch; others do not", async () => {
    nextStep();
    const owner = await signedInBrowser(stack);
    expect((await owner.get("/app/security")).html).toContain('action="/app/workspace/require-mfa"');
    const agent = await signedInBrowser(stack, { workspaceId: owner.who.workspaceId, role: "agent" });
    expect((await agent.get("/app/security")).html).not.toContain('action="/app/workspace/require-mfa"');
  });
});

describe("the set-up page", () => {
  it("a workspace requiring a second factor sends a member without one to set it up first, then on to where they were going", async () => {
    nextStep();
    const owner = await signIn(stack);
    await stack.owner`update workspaces set require_mfa = true where id = ${owner.workspaceId}`;
    const b = await googleSession(owner.userId, owner.workspaceId);
    const sent = await b.get("/app/keys");
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe("/app/security/setup?next=%2Fapp%2Fkeys");
    const setup = await b.get("/app/security/setup?next=%2Fapp%2Fkeys");
    expect(setup.status).toBe(200);
    expect(visibleText(setup.html)).toContain("Your workspace requires a second factor of every member.");
    expect((await b.post("/app/keys", { name: "not yet" })).status).toBe(303);
    const started = await b.post("/app/security/totp/enrol", { next: "/app/keys" });
    expect(started.status).toBe(201);
    const secret = /aria-label="The set-up key">([A-Z2-7]+)</.exec(started.html)![1]!;
    const done = await b.post("/app/security/totp/confirm", { code: totpCodeAt(secret, now), next: "/app/keys" });
    expect(done.status).toBe(201);
    expect([...done.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)]).toHaveLength(10);
    expect(done.html).toContain('href="/app/keys"');
    expect((await b.get("/app/keys")).status).toBe(200);
    const [{ n }] = (await stack.owner`select count(*)::int as n from api_keys where workspace_id = ${owner.workspaceId} and name = 'not yet'`) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });

  it("a person with the app who signed in with Google enters a code (a wrong one is said on the page) or a recovery code", async () => {
    nextStep();
    const b = await signedInBrowser(stack);
    const { secret, codes } = await enrol(b);
    nextStep();
    const google = await googleSession(b.who.userId, b.who.workspaceId);
    expect((await google.get("/app")).headers.get("location")).toBe("/app/security/setup?next=%2Fapp");
    const page = await google.get("/app/security/setup?next=%2Fapp%2Fmessages");
    expect(page.html).toContain('action="/app/security/setup/verify"');
    const wrong = await google.post("/app/security/setup/verify", { code: "000000", next: "/app/messages" });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('role="alert"');
    const ok = await google.post("/app/security/setup/verify", { recovery_code: codes[0]!, next: "/app/messages" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/app/messages");
    expect((await google.get("/app/messages")).status).toBe(200);
    // A code from the app works as well, once.
    nextStep();
    const again = await googleSession(b.who.userId, b.who.workspaceId);
    expect((await again.post("/app/security/setup/verify", { code: totpCodeAt(secret, now), next: "https://evil.example/" })).headers.get("location")).toBe("/app");
  });
});
