import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_WRANGLER_ENV, startWorkerDev, WRANGLER_BIN, type WorkerDev } from "../dev/worker.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { createDatabase } from "../db/client.js";
import { recordVaultKeys } from "../lib/vault/key-check.js";
import { REDIS_URL } from "./support/servers.js";
import { totpCodeAt } from "../lib/factors/totp.js";
import { factorStatus } from "../lib/factors/status.js";
import { createSession } from "../lib/sessions/create.js";
import { SESSION_COOKIE } from "../lib/sessions/auth.js";
import { signIn } from "./support/people-kit.js";
import { scanQr } from "./support/qr-scan.js";
import { connectTestNumber } from "./support/senders.js";
import { eventually } from "./support/eventually.js";

/**
 * The Cloudflare Worker as Cloudflare would run it: bundled by wrangler, and served by
 * workerd (wrangler dev, offline) against this suite's PostgreSQL over TCP sockets and
 * its Redis through the Upstash REST front.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function wrangler(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WRANGLER_BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...OFFLINE_WRANGLER_ENV }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe("wrangler deploy --dry-run", () => {
  let outdir: string;
  afterAll(async () => {
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it("bundles the Worker without the TCP Redis client or the Node-only local stack", async () => {
    outdir = await mkdtemp(join(tmpdir(), "sandesh-bundle-"));
    const r = await wrangler(["deploy", "--dry-run", "--outdir", outdir]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("--dry-run: exiting now.");
    const bundle = join(outdir, "index.js");
    expect(existsSync(bundle)).toBe(true);
    expect((await stat(bundle)).size).toBeGreaterThan(10_000);
    const code = await readFile(bundle, "utf8");
    expect(code).not.toContain("ioredis");
    expect(code).not.toContain("pg-boss");
    expect(code).not.toContain("pglite");
    // postgres.js in its Cloudflare build: TCP through workerd's sockets API.
    expect(code).toContain("cloudflare:sockets");
  }, 60_000);
});

describe("the Worker in workerd (wrangler dev --local)", () => {
  let stack: TestStack;
  let worker: WorkerDev;
  let tenant: { workspaceId: string; key: string };
  const output: string[] = [];
  let startedInMs = 0;

  beforeAll(async () => {
    stack = await createTestStack();
    tenant = await stack.tenant("Edge");
    const t0 = Date.now();
    worker = await startWorkerDev({
      env: {
        SANDESH_ENV: "test",
        LOG_LEVEL: "warn",
        ...TEST_SECRETS,
        // As sandesh_app, the role that owns nothing: RLS applies inside the Worker too.
        DATABASE_URL: stack.config.databaseUrl,
        REDIS_PREFIX: stack.config.redis.prefix,
      },
      redisUrl: REDIS_URL,
      onOutput: (line) => output.push(line),
    });
    startedInMs = Date.now() - t0;
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await stack?.close();
  }, 30_000);

  it("answers /healthz with both PostgreSQL and Redis up", async () => {
    expect(startedInMs).toBeGreaterThan(0);
    const res = await fetch(`${worker.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", checks: { database: "ok", redis: "ok", vault: "ok", writer: "ok" } });
  });

  it("serves GET /v1/workspace to the tenant's API key, with the security headers", async () => {
    const res = await fetch(`${worker.url}/v1/workspace`, { headers: { authorization: `Bearer ${tenant.key}` } });
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.id).toBe(tenant.workspaceId);
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("keeps a contacts CSV streamed through workerd and answers 202 queued; a file without wa_id is 422 at once", async () => {
    const csv = ["wa_id,name,tags,city", "+91 98000 00001,Asha,vip;diwali,Pune", "not-a-number,Bad,,", "919800000002,Ravi,,Mumbai"].join("\n");
    const auth = { authorization: `Bearer ${tenant.key}` };
    const res = await fetch(`${worker.url}/v1/contacts/imports`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(202);
    // No queue is configured here: the import waits, kept, for its job (test/worker-local runs it through QStash).
    expect(body).toMatchObject({ status: "queued", rows_read: 0, bytes_total: Buffer.byteLength(csv) });
    const [kept] = await stack.owner<{ bytes: number }[]>`select sum(length(data))::int as bytes from contact_import_chunks where import_id = ${body.id as string}`;
    expect(kept!.bytes).toBe(Buffer.byteLength(csv));
    const bad = await fetch(`${worker.url}/v1/contacts/imports`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: "phone\n91980000\n" });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("csv_invalid");
  });

  it("renders the dashboard's pages (hono/jsx) for a signed-in person, under the dashboard's CSP", async () => {
    const who = await signIn(stack, { workspaceId: tenant.workspaceId });
    const signInPage = await fetch(`${worker.url}/app/sign-in`);
    expect(signInPage.status).toBe(200);
    expect(await signInPage.text()).toContain('href="/app/auth/google/start"');
    for (const path of ["/app", "/app/keys", "/app/messages", "/app/members", "/app/sessions", "/app/security"]) {
      const res = await fetch(`${worker.url}${path}`, { headers: { cookie: who.cookie, accept: "text/html" }, redirect: "manual" });
      const html = await res.text();
      expect(res.status, `${path} ${html.slice(0, 300)}`).toBe(200);
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(html).toContain(`name="csrf" value="${who.csrf}"`);
      expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
    }
    const anon = await fetch(`${worker.url}/app/keys`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(anon.status).toBe(303);
    const css = await fetch(`${worker.url}/app/assets/dashboard.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("refuses a bad key with 401 in the one error shape", async () => {
    const wrong = `sk_${"A".repeat(43)}`;
    for (const authorization of [`Bearer ${wrong}`, "Bearer not-a-key"]) {
      const res = await fetch(`${worker.url}/v1/workspace`, { headers: { authorization } });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toEqual(expect.any(String));
      expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
      expect(res.headers.get("strict-transport-security")).toBeTruthy();
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  const runCron = () => fetch(`${worker.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);

  /** In a workspace that keeps messages 30 days: a message of 40 days ago and a session past its expiry, for the cron's purges. */
  async function purgeable(t: { workspaceId: string }) {
    const n = await connectTestNumber(stack, t.workspaceId);
    await stack.owner`update workspaces set message_retention_days = 30 where id = ${t.workspaceId}`;
    const messageId = crypto.randomUUID();
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, created_at)
      values (${messageId}, ${t.workspaceId}, ${n.id}, 'outbound', '919800000002', 'text', '{"text":{"body":"old words"}}', 'read', now() - interval '40 days')`;
    // And deletes a session past its expiry (lib/retention/lapsed-access.ts).
    const lapsed = await signIn(stack, { workspaceId: t.workspaceId });
    await stack.owner`update sessions set expires_at = now() - interval '1 second' where id = ${lapsed.sessionId}`;
    return {
      async expectPurged() {
        const [row] = await stack.owner`select payload, status from messages where id = ${messageId}`;
        expect(row).toEqual({ payload: { type: "text", removed: true }, status: "read" });
        expect(await stack.owner`select 1 from sessions where id = ${lapsed.sessionId}`).toHaveLength(0);
      },
    };
  }

  it("runs the cron sweep through its scheduled handler", async () => {
    const res = await runCron();
    expect(res.status, output.slice(-20).join("\n")).toBe(200);
  });

  it("in workerd: the IP allow-list reads CF-Connecting-IP, and the cron purges message content past retention and lapsed sessions", async () => {
    const t = await stack.tenant("Edge allow-list");
    await stack.owner`update workspaces set ip_allowlist = '{203.0.113.0/24,2001:db8::/32}' where id = ${t.workspaceId}`;
    const get = (ip: string) => fetch(`${worker.url}/v1/workspace`, { headers: { authorization: `Bearer ${t.key}`, "cf-connecting-ip": ip } });
    expect((await get("203.0.113.50")).status).toBe(200);
    expect((await get("2001:db8::5")).status).toBe(200);
    const refused = await get("198.51.100.9");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("ip_not_allowed");
    const old = await purgeable(t);
    const res = await runCron();
    expect(res.status, output.slice(-20).join("\n")).toBe(200);
    await old.expectPurged();
  });

  it("in workerd: a failing sweep holds back none of the sweeps after it, and the cron invocation still fails, naming it", async () => {
    const old = await purgeable(await stack.tenant("Edge broken sweep"));
    const from = output.length;
    // The first sweep (re-queueing stuck messages) is refused its function; the purges run after it.
    await stack.owner`revoke execute on function sandesh_stuck_messages(integer, integer) from sandesh_app`;
    try {
      const res = await runCron();
      expect(res.status, output.slice(-20).join("\n")).toBe(500);
    } finally {
      await stack.owner`grant execute on function sandesh_stuck_messages(integer, integer) to sandesh_app`;
    }
    await old.expectPurged();
    // The invocation's error names the step that failed, and only it (its cause is in the step's
    // own log line, which wrangler's info level does not show).
    const said = await eventually(
      async () => output.slice(from).join("\n").replace(/\u001b\[[0-9;]*m/g, ""),
      (text) => text.includes("Uncaught Error: cron:"),
    );
    expect(said).toMatch(/Uncaught Error: cron: sweep failed( |$)/m);
  });

  it("draws the authenticator's QR code in workerd: the enrolment page's SVG scans to its otpauth URI", async () => {
    const who = await signIn(stack, { workspaceId: tenant.workspaceId });
    const res = await fetch(`${worker.url}/app/security/totp/enrol`, {
      method: "POST",
      headers: { cookie: who.cookie, origin: stack.config.allowedOrigins[0]!, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: who.csrf }).toString(),
    });
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(201);
    const uri = /<a href="(otpauth:\/\/[^"]+)">/.exec(html)![1]!.replace(/&amp;/g, "&");
    expect(scanQr(html)).toBe(uri);
  });

  it("sets up TOTP in workerd: otpauth's HMAC, the vault's seal and open, recovery codes and a Google session's step-up", async () => {
    const who = await signIn(stack, { workspaceId: tenant.workspaceId });
    const post = (cookie: string, csrf: string, path: string, body?: object) =>
      fetch(`${worker.url}${path}`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf, origin: stack.config.allowedOrigins[0]!, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const start = await post(who.cookie, who.csrf, "/app/auth/totp/enrol");
    const enrolment = (await start.json()) as { secret: string; otpauth_uri: string };
    expect(start.status, JSON.stringify(enrolment)).toBe(201);
    expect(enrolment.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Sandesh:/);
    // The code comes from Node's clock and Node's otpauth: the Worker's check must agree.
    const confirm = await post(who.cookie, who.csrf, "/app/auth/totp/confirm", { code: totpCodeAt(enrolment.secret, new Date()) });
    const confirmed = (await confirm.json()) as { recovery_codes: string[] };
    expect(confirm.status, JSON.stringify(confirmed)).toBe(200);
    expect(confirmed.recovery_codes).toHaveLength(10);
    // Sealed in the Worker, opened by Node: one vault, one AAD.
    expect(await factorStatus(stack.services, who.userId)).toMatchObject({ totp: "enabled", recovery_codes_left: 10 });
    const google = await createSession(stack.services, { userId: who.userId, method: "google", userVerified: false, workspaceId: tenant.workspaceId });
    const cookie = `${SESSION_COOKIE}=${google.token}`;
    const held = await post(cookie, google.session.csrfToken, "/app/sessions/revoke-others");
    expect(held.status).toBe(403);
    const verified = await post(cookie, google.session.csrfToken, "/app/auth/totp/verify", { recovery_code: confirmed.recovery_codes[0] });
    expect(verified.status, await verified.clone().text()).toBe(200);
    expect(verified.headers.get("set-cookie")).toMatch(/^__Host-sandesh_session=ses_/);
    expect(await verified.json()).toMatchObject({ verified: true, method: "recovery_code", recovery_codes_left: 9 });
  });

  it("with a wrong MASTER_KEK it never becomes healthy: /healthz answers 503 naming the vault and the key version", async () => {
    const owner = createDatabase(stack.config.migrationDatabaseUrl, { max: 1 });
    try {
      expect(await recordVaultKeys(owner.db, stack.services.vault)).toEqual([]);
    } finally {
      await owner.close();
    }
    const wrong = await startWorkerDev({
      env: { SANDESH_ENV: "test", LOG_LEVEL: "warn", ...TEST_SECRETS, MASTER_KEK: "a-wrong-master-kek-that-is-long-enough-0123456789", DATABASE_URL: stack.config.databaseUrl, REDIS_PREFIX: stack.config.redis.prefix },
      redisUrl: REDIS_URL,
      onOutput: () => {},
      readyTimeoutMs: 15_000,
    }).then(
      async (w) => (await w.close(), null),
      (err: Error) => err,
    );
    expect(wrong?.message).toMatch(/last: 503 .*"vault":"mismatch".*MASTER_KEK does not match vault key version 1/);
  }, 60_000);
});
