import type { MiddlewareHandler } from "hono";
import type { Permission } from "../../lib/permissions/vocabulary.js";
import type { AppEnv } from "../env.js";
import { needs, person } from "../middleware/permission.js";

/**
 * What each dashboard page and form needs: the route table `memberRoutes`
 * (./pages/routes.ts) reads when a page registers, so a page declares its permission by
 * being listed here, next to all the others. A page registered without an entry gets
 * no declaration, refuses every request (fail closed) and fails
 * test/permissions-matrix.test.ts. Paths are the pages' own (under /app), methods GET
 * or POST; `:verb` stands for the actions a page registers in a loop. "records": the
 * page shows personal data, and each view leaves a data_access record (lib/access).
 */
const PAGES: [method: "GET" | "POST", path: RegExp, needs: Permission | "person", reads?: "records"][] = [
  ["GET", /^\/$/, "workspace:read"],
  ["GET", /^\/messages(\/:id)?$/, "messages:read", "records"],
  ["GET", /^\/contacts(\/:id)?$/, "contacts:read", "records"],
  ["GET", /^\/exports(\/:id\/download)?$/, "exports:create", "records"],
  ["POST", /^\/exports$/, "exports:create"],
  ["POST", /^\/exports\/:id\/(approve|deny)$/, "approvals:write"],
  // Raising the threshold lets exports past an owner: an owner's alone (a key may only lower it).
  ["POST", /^\/exports\/threshold$/, "approvals:write"],
  ["GET", /^\/templates(\/:id)?$/, "templates:read"],
  ["POST", /^\/templates\/sync$/, "templates:write"],
  ["GET", /^\/broadcasts(\/:id)?$/, "broadcasts:read"],
  ["POST", /^\/broadcasts(\/:id\/(pause|resume|cancel))?$/, "broadcasts:write"],
  ["GET", /^\/numbers$/, "numbers:read"],
  ["POST", /^\/numbers$/, "numbers:write"],
  ["GET", /^\/webhooks(\/:id)?$/, "webhooks:read"],
  ["POST", /^\/webhooks(\/:id\/(enable|disable|rotate-secret|delete))?$/, "webhooks:write"],
  ["GET", /^\/keys$/, "keys:read"],
  ["POST", /^\/keys(\/:id\/revoke)?$/, "keys:write"],
  ["GET", /^\/members$/, "members:read"],
  ["GET", /^\/audit(\/export|\/reads)?$/, "audit:read", "records"],
  // Support access: who reads what is an audit matter; approving only an owner gives; any admin may end a grant.
  ["GET", /^\/support$/, "audit:read"],
  ["POST", /^\/support\/:id\/(approve|deny)$/, "approvals:write"],
  ["POST", /^\/support\/:id\/revoke$/, "settings:write"],
  ["GET", /^\/sessions$/, "person"],
  ["GET", /^\/security$/, "person"],
  ["POST", /^\/security\/(recovery-codes|totp\/disable)$/, "person"],
];

const refuseUndeclared: MiddlewareHandler<AppEnv> = async () => {
  throw new Error("this dashboard route has no entry in functions/app/permissions.ts");
};

/** The declaration for a page route, from the table. */
export function pagePermission(method: "GET" | "POST", path: string): MiddlewareHandler<AppEnv> {
  const hit = PAGES.find(([m, re]) => m === method && re.test(path));
  if (!hit) return refuseUndeclared;
  return hit[2] === "person" ? person("the person's own sessions, passkeys and sign-in methods") : needs(hit[2], { record: hit[3] === "records" });
}
