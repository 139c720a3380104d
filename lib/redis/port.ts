import { toHex, utf8 } from "../crypto/encoding.js";

/**
 * The one Redis surface Sandesh uses. Two adapters implement it: TCP for the Node
 * process (tcp.ts) and Upstash's REST protocol for the edge (upstash.ts). Keys given
 * to the port are prefixed by the adapter, so tests and tenants of one Redis can share it.
 */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, as Redis names it for EVALSHA. */
  readonly sha: Promise<string>;
}

export type RedisArg = string | number;

export interface RedisPort {
  readonly kind: "tcp" | "upstash";
  readonly prefix: string;
  /** EVALSHA, and on NOSCRIPT one EVAL that also loads the script for next time. */
  run<T = unknown>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, opts?: { ex?: number; nx?: boolean }): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  incr(key: string): Promise<number>;
  expire(key: string, seconds: number): Promise<boolean>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function defineScript(name: string, source: string): LuaScript {
  let sha: Promise<string> | undefined;
  return {
    name,
    source,
    get sha() {
      sha ??= crypto.subtle.digest("SHA-1", utf8(source)).then(toHex);
      return sha;
    },
  };
}

export const isNoScript = (err: unknown) => err instanceof Error && /NOSCRIPT/.test(err.message);
