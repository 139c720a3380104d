/**
 * The one vocabulary of what a caller may do. A member's role grants a set of these
 * (table.ts); an API key carries a set of them as its scopes. `resource:verb`, so a
 * scope reads the same in a key listing, a 403 and the role table.
 */
export const PERMISSIONS = [
  "workspace:read",
  "messages:send",
  "messages:read",
  "contacts:read",
  "contacts:write",
  "contacts:read_unmasked",
  "broadcasts:read",
  "broadcasts:write",
  "templates:read",
  "templates:write",
  "webhooks:read",
  "webhooks:write",
  "numbers:read",
  "numbers:write",
  "keys:read",
  "keys:write",
  "members:read",
  "members:write",
  "settings:read",
  "settings:write",
  "audit:read",
  "exports:create",
  "approvals:write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export { ROLES, type Role } from "../people/roles.js";

/**
 * What a person alone may do: managing people and approving (exports, support access)
 * need someone who answers for it, never a key. Every other permission is a scope.
 */
const PERSON_ONLY: readonly Permission[] = ["members:write", "approvals:write"];
export const KEY_SCOPES: readonly Permission[] = PERMISSIONS.filter((p) => !PERSON_ONLY.includes(p));

/**
 * Every key may read its own workspace (GET /v1/workspace answers "who am I"), so a
 * narrow key can still tell which workspace it is; it is granted whatever the scopes.
 */
export const ALWAYS_GRANTED: readonly Permission[] = ["workspace:read"];

export const isPermission = (s: string): s is Permission => (PERMISSIONS as readonly string[]).includes(s);
