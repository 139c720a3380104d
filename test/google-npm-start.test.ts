import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseAccount } from "../dev/oidc-issuer/index.js";
import { createInvitation } from "../lib/people/invite.js";
import { CookieBrowser } from "./support/cookie-browser.js";
import { uniqueEmail } from "./support/people-kit.js";
import { freePort } from "./support/private-servers.js";
import { startSandesh, type SandeshProcess } from "./support/sandesh-process.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";

/** `npm start` with no Google client: the development issuer stands in, and a person signs in through it. */
let stack: TestStack;
let sandesh: SandeshProcess;
let issuerPort: number;

beforeAll(async () => {
  stack = await createTestStack();
  issuerPort = await freePort();
  sandesh = await startSandesh({ ...childEnv(stack), SANDESH_DEV_OIDC_PORT: String(issuerPort) });
}, 60_000);
afterAll(async () => {
  await sandesh?.stop();
  await stack?.close();
});

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

describe("npm start without GOOGLE_CLIENT_ID", () => {
  it("starts the development issuer, says where, accepts an invitation through it, and stops it on exit", async () => {
    const issuerUrl = `http://127.0.0.1:${issuerPort}`;
    expect(sandesh.output()).toContain(`the development OIDC issuer stands in for Google at ${issuerUrl}`);
    const discovery = (await (await fetch(`${issuerUrl}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(issuerUrl);

    const email = uniqueEmail("npmstart");
    const { workspaceId } = await stack.tenant("npm start");
    const inv = await createInvitation(stack.services, { workspaceId, email, role: "owner" }, { actorType: "operator", actorId: "test" });
    const b = new CookieBrowser();
    const start = await b.get(`${sandesh.url}/app/auth/google/start?invitation=${inv.token}`);
    expect(start.headers.get("location")!.startsWith(`${issuerUrl}/o/oauth2/v2/auth?`)).toBe(true);
    const back = await b.get(await chooseAccount(start.headers.get("location")!, { email }));
    expect(back.headers.get("location")).toBe("/app");
    const me = (await (await b.get(`${sandesh.url}/app/auth/session`)).json()) as { user: { email: string }; session: { method: string } };
    expect(me).toMatchObject({ user: { email }, session: { method: "google" } });
    // The development client secret is generated per start and never printed.
    expect(sandesh.output()).not.toMatch(/GOCSPX-[A-Za-z0-9_-]{10,}/);

    await sandesh.stop();
    expect(await portFree(issuerPort)).toBe(true);
  }, 60_000);
});
