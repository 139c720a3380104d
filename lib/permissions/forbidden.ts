import { AppError } from "../errors.js";
import type { Principal } from "./principal.js";
import type { Permission } from "./vocabulary.js";

/** 403 `forbidden`, naming what is missing: a key's scope, a member's role, or a support grant's read-only access. */
export function forbidden(p: Principal, missing: readonly Permission[]): AppError {
  const list = missing.join(", ");
  const message =
    p.kind === "api_key"
      ? `This API key lacks the scope ${list}`
      : p.kind === "support"
        ? `A support grant only reads (this needs ${list})`
        : `The ${p.role} role may not do this (it needs ${list})`;
  return new AppError(403, "forbidden", message, { missing: [...missing] });
}
