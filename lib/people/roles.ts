/**
 * A member's role in a workspace. What each may do beyond managing members belongs to
 * lib/permissions; here only the owner/other split that invitations need.
 */
export const ROLES = ["owner", "admin", "agent", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (x: unknown): x is Role => typeof x === "string" && (ROLES as readonly string[]).includes(x);

/** Owners and admins invite and manage members; only an owner may make another owner. */
export const canManageMembers = (role: Role | null | undefined): boolean => role === "owner" || role === "admin";
export const canGrantRole = (granter: Role | null | undefined, role: Role): boolean =>
  granter === "owner" || (granter === "admin" && role !== "owner");
