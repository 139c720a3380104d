import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseAccount, startDevIssuer, subjectFor, type DevIssuer } from "../dev/oidc-issuer/index.js";
import { startWorkerDev, type WorkerDev } from "../dev/worker.js";
import { createInvitation } from "../lib/people/invite.js";
import { CookieBrowser } from "./support/cookie-browser.js";
import { uniqueEmail } from "./support/people-kit.js";
import { REDIS_URL } from "./support/servers.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Google sign-in in workerd (wrangler dev --local): discovery, the code exchange and the
 * JWKS are fetched from the Worker with fetch, the attempt is kept through Upstash's
 * REST protocol, jose verifies with WebCrypto.
 */
const CLIENT_ID = "sandesh-worker.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-worker-test-secret-89ab";
let stack: TestStack;
let issuer: DevIssuer;
let worker: WorkerDev;
const output: string[] = [];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  stack = await createTestStack();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  issuer = await startDevIssuer({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${publicUrl}/app/auth/google/callback`] }] });
  worker = await startWorkerDev({
    env: {
      SANDESH_ENV: "test",
      LOG_LEVEL: "info", // the refusal below is logged: its line must hold no secret
      ...TEST_SECRETS,
      DATABASE_URL: stack.config.databaseUrl,
      REDIS_PREFIX: stack.config.redis.prefix,
      PUBLIC_URL: publicUrl,
      GOOGLE_CLIENT_ID: CLIENT_ID,
      GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_ISSUER: issuer.url,
    },
    port,
    redisUrl: REDIS_URL,
    onOutput: (line) => output.push(line),
  });
}, 120_000);
afterAll(async () => {
  await worker?.close();
  await issuer?.close();
  await stack?.close();
});

describe("Google sign-in in the Worker", () => {
  it("accepts an invitation with Google, then signs in with Google alone, and refuses another audience's token", async () => {
    const email = uniqueEmail("edge");
    const { workspaceId } = await stack.tenant("Edge Google");
    const inv = await createInvitation(stack.services, { workspaceId, email, role: "agent" }, { actorType: "operator", actorId: "test" });

    const b = new CookieBrowser();
    const start = await b.get(`${worker.url}/app/auth/google/start?invitation=${inv.token}`);
    expect(start.status).toBe(303);
    const back = await b.get(await chooseAccount(start.headers.get("location")!, { email }));
    expect([back.status, back.headers.get("location")]).toEqual([303, "/app"]);
    const me = await b.get(`${worker.url}/app/auth/session`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { email }, session: { method: "google" }, workspace: { id: workspaceId, role: "agent" } });
    const [identity] = await stack.owner`select issuer, subject from user_identities where email = ${email}`;
    expect(identity).toEqual({ issuer: issuer.url, subject: subjectFor(email) });

    const later = new CookieBrowser();
    const again = await later.get(await chooseAccount((await later.get(`${worker.url}/app/auth/google/start`)).headers.get("location")!, { email }));
    expect(again.headers.get("location")).toBe("/app");
    expect(issuer.jwksFetches).toBe(1); // the isolate kept the key set

    issuer.misissueNext({ claims: { aud: "someone-else" } });
    const other = new CookieBrowser();
    const callback = new URL(await chooseAccount((await other.get(`${worker.url}/app/auth/google/start`)).headers.get("location")!, { email }));
    const refused = await other.get(callback.toString());
    expect([refused.status, refused.headers.get("location"), refused.headers.getSetCookie().some((c) => c.startsWith("__Host-sandesh_session"))]).toEqual([303, "/app/sign-in?error=google_failed", false]);
  }, 60_000);
});
