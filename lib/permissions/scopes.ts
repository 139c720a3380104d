import { AppError } from "../errors.js";
import { KEY_SCOPES, type Permission } from "./vocabulary.js";

/**
 * Scopes for a new key from a list of names (`messages:send,contacts:read`): each a
 * key scope, duplicates dropped, sorted. An empty list is refused (a key that can do
 * nothing is a mistake); omit the list for full access.
 */
export function parseScopes(names: readonly string[]): Permission[] {
  const given = names.map((n) => n.trim()).filter(Boolean);
  const unknown = given.filter((n) => !(KEY_SCOPES as readonly string[]).includes(n));
  if (unknown.length) {
    throw new AppError(422, "validation_failed", `Unknown scope ${unknown.join(", ")}; scopes are: ${KEY_SCOPES.join(", ")}`, [{ field: "scopes", message: `unknown: ${unknown.join(", ")}` }]);
  }
  if (!given.length) throw new AppError(422, "validation_failed", "Give at least one scope, or none at all for full access", [{ field: "scopes", message: "empty" }]);
  return [...new Set(given as Permission[])].sort();
}
