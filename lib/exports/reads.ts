import type { ExportSubject } from "../../db/schema/index.js";
import { forbidden } from "../permissions/forbidden.js";
import { missingPermissions, type Principal } from "../permissions/principal.js";

/** Exporting rows is reading them: contacts need contacts:read, messages messages:read, beside exports:create. */
export function ensureMayRead(p: Principal, kind: ExportSubject): void {
  const missing = missingPermissions(p, [kind === "contacts" ? "contacts:read" : "messages:read"]);
  if (missing.length) throw forbidden(p, missing);
}
