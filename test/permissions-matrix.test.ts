import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declarationOf, requiredFor, type Declaration } from "../functions/middleware/permission.js";
import { createApiKey } from "../lib/apikeys/manage.js";
import { can, missingPermissions, type Principal } from "../lib/permissions/principal.js";
import { ROLE_PERMISSIONS } from "../lib/permissions/table.js";
import { ALWAYS_GRANTED, KEY_SCOPES, PERMISSIONS, ROLES, type Permission } from "../lib/permissions/vocabulary.js";
import { signedInBrowser, visibleText } from "./support/dashboard-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * The route × role/scope matrix. Every route registered on the app (walked from Hono's
 * own `app.routes`, so a route added anywhere is in it) must carry exactly one
 * declaration (functions/middleware/permission.ts); every declared route is then asked
 * over HTTP by a key holding each single scope, by a key holding exactly what it needs,
 * by a full-access key and by no key, and the answer is checked: allowed (anything but
 * 403), or 403 `forbidden` naming what is missing. Members' roles are checked against
 * the same declarations through the decision the middleware itself makes.
 */
let stack: TestStack;
let workspaceId: string;
const keys = new Map<string, string>(); // scope set (sorted, comma-joined; "*" full access) → key

beforeAll(async () => {
  stack = await createTestStack();
  const t = await stack.tenant("Matrix");
  workspaceId = t.workspaceId;
  // A thousand requests in a few seconds: the rate limits are not what this test is about.
  const high = { limit: 1_000_000, periodMs: 1000 };
  await stack.owner`update workspaces set settings = ${stack.owner.json({ limits: { apiKey: high, ip: high, workspace: high } })} where id = ${workspaceId}`;
  keys.set("*", (await createApiKey(stack.services, workspaceId, "full", { actorType: "operator" })).key);
});
afterAll(() => stack?.close());

async function keyWith(scopes: readonly Permission[]): Promise<string> {
  const name = [...scopes].sort().join(",");
  let k = keys.get(name);
  if (!k) {
    k = (await createApiKey(stack.services, workspaceId, "matrix", { actorType: "operator" }, { scopes })).key;
    keys.set(name, k);
  }
  return k;
}

interface Route {
  method: string;
  path: string;
  declarations: Declaration[];
}

/** Every method+path of the app with the declarations among its handlers. */
function routesOf(app: TestStack["app"]): Route[] {
  const byRoute = new Map<string, Route>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue; // app.use middleware, not a route
    const id = `${r.method} ${r.path}`;
    const route = byRoute.get(id) ?? { method: r.method, path: r.path, declarations: [] };
    const d = declarationOf(r.handler);
    if (d) route.declarations.push(d);
    byRoute.set(id, route);
  }
  return [...byRoute.values()];
}

const SAMPLE: Record<string, string> = { version: "v21.0", phoneNumberId: "1234567890", mediaId: "9988776655", name: "no_such_template", token: "not-a-token" };
/** A concrete URL for a Hono path: `:id` a random uuid, `:version{v…}` v21.0 … */
const urlOf = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => SAMPLE[name] ?? randomUUID());

const isGraph = (path: string) => path.startsWith("/:version");
const isDashboard = (path: string) => path === "/app" || path.startsWith("/app/");
/** Routes an API key calls: /v1 and the Graph-compatible surface. */
const isKeyRoute = (path: string) => path.startsWith("/v1/") || isGraph(path);

async function ask(route: Route, key: string | undefined, accept?: string) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (accept) headers.accept = accept;
  const res = await stack.request(urlOf(route.path), { method: route.method, headers });
  const text = await res.text();
  return { status: res.status, text, json: (() => { try { return JSON.parse(text) as Record<string, any>; } catch { return null; } })() };
}

/** 403 in the route's error shape, naming every missing permission. */
function expectForbidden(route: Route, answer: Awaited<ReturnType<typeof ask>>, missing: Permission[], what: string) {
  expect(answer.status, what).toBe(403);
  if (isGraph(route.path)) {
    expect(answer.json?.error?.code, what).toBe(10);
    for (const m of missing) expect(answer.json?.error?.error_data?.details, what).toContain(m);
  } else {
    expect(answer.json?.error?.code, what).toBe("forbidden");
    expect(answer.json?.error?.details?.missing, what).toEqual(missing);
    for (const m of missing) expect(answer.json?.error?.message, what).toContain(m);
    expect(answer.json?.error?.request_id, what).toBeTruthy();
  }
}

const expectAllowed = (answer: Awaited<ReturnType<typeof ask>>, what: string) => {
  expect(answer.status, `${what}: ${answer.text.slice(0, 200)}`).not.toBe(403);
};

describe("every registered route declares its permission", () => {
  it("each method and path of the app carries exactly one declaration (needs or open)", () => {
    const routes = routesOf(stack.app);
    expect(routes.length).toBeGreaterThan(45);
    const undeclared = routes.filter((r) => r.declarations.length !== 1).map((r) => `${r.method} ${r.path} (${r.declarations.length})`);
    // A route listed here needs needs(...) or open("why") where it is registered.
    expect(undeclared).toEqual([]);
    // /v1 and the Graph-compatible surface are never open, nor a person's only.
    const notKeyed = routes.filter((r) => isKeyRoute(r.path) && r.declarations[0]!.kind !== "needs");
    expect(notKeyed.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // The dashboard is in the walk.
    expect(routes.filter((r) => isDashboard(r.path)).length).toBeGreaterThan(25);
  });

  it("a route registered without a declaration is caught by the same walk", async () => {
    const { buildApp } = await import("../functions/app.js");
    const app = buildApp();
    app.get("/v1/forgotten", (c) => c.text("oops"));
    expect(routesOf(app).filter((r) => r.declarations.length !== 1).map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/forgotten"]);
  });
});

describe("the route × scope matrix, over HTTP", () => {
  it("every declared route answers each single-scope key, the exact key, a full-access key and no key as its declaration says", async () => {
    const routes = routesOf(stack.app).filter((r) => r.declarations[0]?.kind === "needs" && isKeyRoute(r.path));
    const singles = await Promise.all(KEY_SCOPES.map(async (s) => [s, await keyWith([s])] as const));
    let asked = 0;
    for (const route of routes) {
      const d = route.declarations[0] as Extract<Declaration, { kind: "needs" }>;
      const needed = requiredFor(d, false);
      const label = `${route.method} ${route.path}`;
      // No key: 401, never a permission answer.
      expect((await ask(route, undefined)).status, `${label} without a key`).toBe(401);
      expectAllowed(await ask(route, keys.get("*")), `${label} with a full-access key`);
      expectAllowed(await ask(route, await keyWith(needed.filter((n) => !ALWAYS_GRANTED.includes(n)).length ? needed : ["messages:read"])), `${label} with exactly ${needed.join(",")}`);
      for (const [scope, key] of singles) {
        const missing = needed.filter((n) => n !== scope && !ALWAYS_GRANTED.includes(n));
        const answer = await ask(route, key);
        if (missing.length) expectForbidden(route, answer, missing, `${label} with only ${scope}`);
        else expectAllowed(answer, `${label} with only ${scope}`);
        asked++;
      }
      // A download as CSV needs its export permission too.
      if (d.csv.length) {
        expectForbidden(route, await ask(route, await keyWith(needed), "text/csv"), [...d.csv], `${label} as CSV with ${needed.join(",")}`);
        expectAllowed(await ask(route, await keyWith(requiredFor(d, true)), "text/csv"), `${label} as CSV with ${requiredFor(d, true).join(",")}`);
      }
    }
    expect(routes.length).toBeGreaterThanOrEqual(40);
    expect(asked).toBe(routes.length * KEY_SCOPES.length);
  }, 120_000);

  it("open routes answer without a key and never with a permission refusal", async () => {
    const routes = routesOf(stack.app).filter((r) => r.declarations[0]?.kind === "open");
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(["GET /app/sign-in", "GET /healthz", "GET /openapi.json", "GET /docs", "GET /webhooks/meta", "POST /webhooks/meta", "POST /jobs/send", "GET /media/download/:token"]),
    );
    for (const route of routes) {
      const answer = await ask(route, undefined);
      // (GET /webhooks/meta's own 403 for a wrong verify token is Meta's protocol, not a permission.)
      expect(answer.json?.error?.details?.missing, `${route.method} ${route.path}`).toBeUndefined();
    }
  });

  it("a key with unknown or no scopes cannot be made", async () => {
    await expect(createApiKey(stack.services, workspaceId, "x", { actorType: "operator" }, { scopes: ["messages:fly"] })).rejects.toMatchObject({ status: 422, code: "validation_failed" });
    await expect(createApiKey(stack.services, workspaceId, "x", { actorType: "operator" }, { scopes: [] })).rejects.toMatchObject({ status: 422 });
    // What only a person may do is no key's scope.
    await expect(createApiKey(stack.services, workspaceId, "x", { actorType: "operator" }, { scopes: ["approvals:write"] })).rejects.toMatchObject({ status: 422 });
  });

  it("a key made before scopes existed (scopes null) keeps full access", async () => {
    const rows = await stack.owner`select scopes from api_keys where workspace_id = ${workspaceId} and name = 'full'`;
    expect(rows[0]!.scopes).toBeNull();
  });
});

describe("the dashboard's route × role matrix, over HTTP", () => {
  it("every declared /app route answers each role's signed-in member as the role table says", async () => {
    const routes = routesOf(stack.app).filter((r) => isDashboard(r.path) && r.declarations[0]?.kind !== "open");
    const browsers = new Map(await Promise.all(ROLES.map(async (role) => [role, await signedInBrowser(stack, { workspaceId, role })] as const)));
    let asked = 0;
    for (const route of routes) {
      const d = route.declarations[0]!;
      const url = urlOf(route.path);
      for (const role of ROLES) {
        const label = `${route.method} ${route.path} as ${role}`;
        // A person's own routes may end the session they are asked with: a fresh one each.
        const b = d.kind === "person" ? await signedInBrowser(stack, { workspaceId, role }) : browsers.get(role)!;
        const page = route.method === "GET" ? await b.get(url) : await b.post(url, {});
        const missing = d.kind === "needs" ? requiredFor(d, false).filter((p) => !ROLE_PERMISSIONS[role].has(p)) : [];
        if (missing.length) {
          expect(page.status, label).toBe(403);
          for (const m of missing) expect(visibleText(page.html), label).toContain(m);
        } else {
          expect(page.status, `${label}: ${visibleText(page.html).slice(0, 200)}`).not.toBe(403);
        }
        asked++;
      }
    }
    expect(asked).toBe(routes.length * ROLES.length);
  }, 180_000);
});

describe("the route × role matrix", () => {
  const member = (role: (typeof ROLES)[number], phonesUnmasked = false): Principal => ({ kind: "member", workspaceId: "w", userId: "u", role, phonesUnmasked });

  it("every declared route is decided for every role from the one table", () => {
    const routes = routesOf(stack.app).filter((r) => r.declarations[0]?.kind === "needs");
    let decided = 0;
    for (const route of routes) {
      const d = route.declarations[0] as Extract<Declaration, { kind: "needs" }>;
      for (const role of ROLES) {
        const missing = missingPermissions(member(role), requiredFor(d, false));
        expect(missing).toEqual(requiredFor(d, false).filter((p) => !ROLE_PERMISSIONS[role].has(p)));
        decided++;
      }
    }
    expect(decided).toBe(routes.length * ROLES.length);
  });

  it("the roles mean what they say", () => {
    // Owners may do everything; admins all but approving; agents converse; viewers only read.
    expect(PERMISSIONS.every((p) => can(member("owner"), p))).toBe(true);
    expect(PERMISSIONS.filter((p) => !can(member("admin"), p))).toEqual(["approvals:write"]);
    expect(can(member("agent"), "messages:send")).toBe(true);
    expect(can(member("agent"), "contacts:write")).toBe(true);
    for (const p of ["webhooks:write", "keys:write", "members:write", "settings:write", "exports:create", "audit:read", "broadcasts:write"] as const) {
      expect(can(member("agent"), p), p).toBe(false);
    }
    expect(PERMISSIONS.filter((p) => can(member("viewer"), p)).every((p) => p.endsWith(":read"))).toBe(true);
    expect(can(member("viewer"), "messages:send")).toBe(false);
  });

  it("agents and viewers see whole numbers only when their membership grants it", () => {
    for (const role of ["agent", "viewer"] as const) {
      expect(can(member(role), "contacts:read_unmasked")).toBe(false);
      expect(can(member(role, true), "contacts:read_unmasked")).toBe(true);
    }
    expect(can(member("owner"), "contacts:read_unmasked")).toBe(true);
    expect(can(member("admin"), "contacts:read_unmasked")).toBe(true);
  });
});
