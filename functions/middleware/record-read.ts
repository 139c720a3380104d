import type { Context, Next } from "hono";
import { routePath } from "hono/route";
import { accessActor } from "../../lib/access/entry.js";
import { recordAccess } from "../../lib/access/record.js";
import { AppError } from "../../lib/errors.js";
import type { Principal } from "../../lib/permissions/principal.js";
import type { AppEnv } from "../env.js";

/**
 * A route declared `needs(…, { record: true })` reads personal data: each GET leaves a
 * data_access record (who, from where, which route and object, how many rows, the
 * status) once its answer is known and before it leaves. A record that cannot be written
 * turns the answer into a 503 (lib/access/record.ts). The count is what the handler set
 * (`readCount`), else 1 for one object answered. The object id is kept only when it
 * named an object (2xx): a refused id is whatever the caller typed, perhaps a number,
 * which an erasure could not find here.
 */
export async function recordRead(c: Context<AppEnv>, p: Principal, next: Next): Promise<void> {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return next();
  let thrown: unknown;
  let failed = false;
  try {
    await next();
  } catch (err) {
    thrown = err;
    failed = true;
  }
  const status = failed ? (thrown instanceof AppError ? thrown.status : 500) : c.res.status;
  const ok = status >= 200 && status < 300;
  const params = c.req.param() as Record<string, string | undefined>;
  // Only an id that named an object: a refused one is whatever the caller typed (perhaps a number).
  const objectId = ok ? (params.id ?? params.mediaId ?? null) : null;
  await recordAccess(c.env.services, {
    workspaceId: p.workspaceId,
    ...accessActor(p),
    ip: c.env.ip ?? null,
    method: c.req.method,
    route: routePath(c),
    objectId,
    resultCount: ok ? (c.get("readCount") ?? (objectId ? 1 : null)) : 0,
    status,
  });
  if (failed) throw thrown;
}

/** A page's items as the read's count, and the page. */
export function counted<T extends { data: readonly unknown[] }>(c: Context<AppEnv>, page: T): T {
  c.set("readCount", page.data.length);
  return page;
}
