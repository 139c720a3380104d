import { createHash } from "node:crypto";

/**
 * Upstash accepts a Lua shebang flag that open-source Redis 7.0 does not
 * (`#!lua flags=allow-key-locking`, used by @upstash/ratelimit). The front strips
 * such flags before Redis sees the script and remembers which SHA the client knows
 * the script by, so EVALSHA with the client's SHA still finds it.
 */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

export class ScriptTranslator {
  private readonly shas = new Map<string, string>();

  /** Rewrites EVAL / EVAL_RO / SCRIPT LOAD sources and EVALSHA / EVALSHA_RO SHAs. */
  translate(cmd: (string | number)[]): (string | number)[] {
    const name = String(cmd[0]).toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && typeof cmd[1] === "string") return [cmd[0]!, this.source(cmd[1]), ...cmd.slice(2)];
    if (name === "SCRIPT" && String(cmd[1]).toUpperCase() === "LOAD" && typeof cmd[2] === "string") return [cmd[0]!, cmd[1]!, this.source(cmd[2])];
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && typeof cmd[1] === "string") {
      const mapped = this.shas.get(cmd[1].toLowerCase());
      if (mapped) return [cmd[0]!, mapped, ...cmd.slice(2)];
    }
    return cmd;
  }

  private source(src: string): string {
    const m = /^#!lua flags=([^\n]*)\n/.exec(src);
    if (!m) return src;
    const flags = m[1]!.split(",").map((f) => f.trim()).filter((f) => f && !UPSTASH_ONLY_FLAGS.has(f));
    const rewritten = (flags.length ? `#!lua flags=${flags.join(",")}\n` : "#!lua\n") + src.slice(m[0].length);
    if (rewritten !== src) this.shas.set(sha1(src), sha1(rewritten));
    return rewritten;
  }
}
