import type { Context } from "hono";
import type { Principal } from "../../lib/permissions/principal.js";
import type { AppEnv } from "../env.js";

/** Placeholder until masking lands: answers unchanged. */
export function presentPhonesFor(_c: Context<AppEnv>, _p: Principal): void {}
