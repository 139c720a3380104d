import { AppError } from "../errors.js";
import type { Principal } from "./principal.js";
import type { Permission } from "./vocabulary.js";

/** 403 `forbidden`, naming what is missing: a key's scope, or a member's role. */
export function forbidden(p: Principal, missing: readonly Permission[]): AppError {
  const list = missing.join(", ");
  const message =
    p.kind === "api_key"
      ? `This API key lacks the scope ${list}`
      : `The ${p.role} role may not do this (it needs ${list})`;
  return new AppError(403, "forbidden", message, { missing: [...missing] });
}
