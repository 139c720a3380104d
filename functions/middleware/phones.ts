import type { Context } from "hono";
import { phoneView, presentPhones, type PhoneView } from "../../lib/permissions/phones.js";
import { seesWholeNumbers, type Principal } from "../../lib/permissions/principal.js";
import type { AppEnv } from "../env.js";

/**
 * Once per request, by `needs` (./permission.ts), after the principal is known: every
 * JSON answer of the route goes through presentPhones, so the numbers the views marked
 * (lib/permissions/phones.ts) come out whole or masked for this principal. Handlers
 * keep calling c.json; none of them decides.
 */
export function presentPhonesFor(c: Context<AppEnv>, p: Principal): void {
  const whole = seesWholeNumbers(p);
  const json = c.json.bind(c);
  c.json = ((value: unknown, ...rest: unknown[]) => (json as (...a: unknown[]) => Response)(presentPhones(value, whole), ...rest)) as typeof c.json;
}

/** For what is not JSON (CSV exports, dashboard pages): how this request's principal sees a number. */
export const phoneViewOf = (c: Context<AppEnv>): PhoneView => phoneView(c.get("principal"));
