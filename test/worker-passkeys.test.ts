import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerDev, type WorkerDev } from "../dev/worker.js";
import { createInvitation } from "../lib/people/invite.js";
import { uniqueEmail } from "./support/people-kit.js";
import { REDIS_URL } from "./support/servers.js";
import { SoftAuthenticator } from "./support/soft-authenticator.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Passkeys in the Cloudflare Worker (workerd via wrangler dev --local): @simplewebauthn/server
 * on workerd's WebCrypto, challenges in Redis through the Upstash REST protocol, the
 * same PostgreSQL as the Node process. PUBLIC_URL names the site the browser is on.
 */
const PUBLIC_URL = "https://dash.sandesh.test";

describe("passkeys in the Worker", () => {
  let stack: TestStack;
  let worker: WorkerDev;
  const output: string[] = [];

  beforeAll(async () => {
    stack = await createTestStack({ PUBLIC_URL });
    worker = await startWorkerDev({
      env: { SANDESH_ENV: "test", LOG_LEVEL: "warn", ...TEST_SECRETS, PUBLIC_URL, DATABASE_URL: stack.config.databaseUrl, REDIS_PREFIX: stack.config.redis.prefix },
      redisUrl: REDIS_URL,
      onOutput: (line) => output.push(line),
    });
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await stack?.close();
  }, 30_000);

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${worker.url}${path}`, { method: "POST", headers: { "content-type": "application/json", origin: PUBLIC_URL, ...headers }, body: JSON.stringify(body) });
    return { res, json: (await res.json()) as Record<string, any> };
  };

  it("an invitee registers a passkey and is signed in; the passkey then signs in again, and a replay is refused", async () => {
    const { workspaceId } = await stack.tenant("Edge people");
    const inv = await createInvitation(stack.services, { workspaceId, email: uniqueEmail("edge"), role: "owner" }, { actorType: "operator", actorId: "test" });
    const device = new SoftAuthenticator(PUBLIC_URL);

    const options = await post("/app/auth/passkey/register/options", { invitation: inv.token });
    expect(options.res.status, JSON.stringify(options.json) + output.slice(-10).join("\n")).toBe(200);
    expect(options.json.rp).toEqual({ id: "dash.sandesh.test", name: "Sandesh" });
    const done = await post("/app/auth/passkey/register/verify", { invitation: inv.token, response: await device.create(options.json as never) });
    expect(done.res.status, JSON.stringify(done.json)).toBe(201);
    expect(done.res.headers.get("set-cookie")).toMatch(/^__Host-sandesh_session=ses_/);

    const login = await post("/app/auth/passkey/login/options", {});
    const assertion = await device.get(login.json as never);
    const signedIn = await post("/app/auth/passkey/login/verify", { response: assertion });
    expect(signedIn.res.status, JSON.stringify(signedIn.json)).toBe(200);
    const cookie = /^(__Host-sandesh_session=[^;]+)/.exec(signedIn.res.headers.get("set-cookie") ?? "")![1]!;
    const me = await fetch(`${worker.url}/app/auth/session`, { headers: { cookie } });
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe(inv.email);

    const replay = await post("/app/auth/passkey/login/verify", { response: assertion });
    expect(replay.res.status).toBe(401);
    expect(replay.json.error.code).toBe("passkey_refused");
    const [row] = await stack.owner`select sign_count, last_used_at is not null as used from passkeys p join users u on u.id = p.user_id where u.email = ${inv.email}`;
    expect(row).toMatchObject({ sign_count: "1", used: true });
  }, 60_000);
});
