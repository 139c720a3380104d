import type { Role } from "../people/roles.js";
import { PERMISSIONS, type Permission } from "./vocabulary.js";

/**
 * THE table: what each role may do. Every route (API, Graph-compatible, dashboard)
 * declares one entry of the vocabulary where it is registered (functions/middleware/
 * permission.ts), and `can()` answers from here for members and from the scopes for keys.
 * test/permissions-matrix.test.ts walks every registered route against every role and scope.
 *
 *   owner  everything, and the approvals only an owner gives (exports, support access)
 *   admin  everything but approvals
 *   agent  the conversations: send, read, keep contacts; reads the rest it works with
 *   viewer reads, sends nothing, changes nothing
 *
 * Agents and viewers see phone numbers masked unless their membership grants unmasked
 * numbers (lib/permissions/principal.ts).
 */

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => p !== "approvals:write")),
  agent: new Set<Permission>([
    "workspace:read",
    "messages:send",
    "messages:read",
    "contacts:read",
    "contacts:write",
    "broadcasts:read",
    "templates:read",
    "numbers:read",
    "members:read",
  ]),
  viewer: new Set<Permission>([
    "workspace:read",
    "messages:read",
    "contacts:read",
    "broadcasts:read",
    "templates:read",
    "numbers:read",
    "members:read",
  ]),
};

/**
 * An operator reading under a support grant (lib/support): what a viewer reads, with
 * numbers masked, and nothing else; never a send, a change, an export or the audit log.
 */
export const SUPPORT_PERMISSIONS: ReadonlySet<Permission> = new Set([...ROLE_PERMISSIONS.viewer].filter((p) => p.endsWith(":read")));
