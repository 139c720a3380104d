import { ROLE_PERMISSIONS, SUPPORT_PERMISSIONS } from "./table.js";
import type { Role } from "../people/roles.js";
import { ALWAYS_GRANTED, KEY_SCOPES, type Permission } from "./vocabulary.js";

/**
 * Who is asking, as far as permissions go. An API key's `scopes` is null for a key made
 * before scopes existed (or without --scopes): full access, as it always had. A member's
 * permissions are their role's; `phonesUnmasked` is the membership's grant of unmasked
 * numbers to an agent or viewer. A support grant (lib/support) is an operator reading
 * under an owner's approval: read-only, numbers masked, whatever it asks.
 */
export type Principal =
  | { kind: "api_key"; workspaceId: string; keyId: string; scopes: readonly Permission[] | null }
  | { kind: "member"; workspaceId: string; userId: string; role: Role; phonesUnmasked: boolean }
  | { kind: "support"; workspaceId: string; grantId: string };

export function can(p: Principal, permission: Permission): boolean {
  if (p.kind === "support") return SUPPORT_PERMISSIONS.has(permission);
  if (p.kind === "api_key") {
    if (ALWAYS_GRANTED.includes(permission)) return true;
    return p.scopes === null ? KEY_SCOPES.includes(permission) : p.scopes.includes(permission);
  }
  if (permission === "contacts:read_unmasked" && p.phonesUnmasked) return true;
  return ROLE_PERMISSIONS[p.role].has(permission);
}

/** What of `needed` the principal lacks (empty: allowed). */
export const missingPermissions = (p: Principal, needed: readonly Permission[]): Permission[] => needed.filter((n) => !can(p, n));

/** Whether this principal is shown whole phone numbers (lib/permissions/phones.ts masks the rest). */
export const seesWholeNumbers = (p: Principal): boolean => can(p, "contacts:read_unmasked");
