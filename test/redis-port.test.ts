import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startUpstashFront, type UpstashFront } from "../dev/upstash-rest/server.js";
import { defineScript, type LuaScript, type RedisPort } from "../lib/redis/port.js";
import { createTcpRedis } from "../lib/redis/tcp.js";
import { createUpstashRedis } from "../lib/redis/upstash.js";
import { REDIS_URL } from "./support/servers.js";

/**
 * One suite, both adapters, the same real Redis: whatever the application does through
 * the RedisPort must mean the same over TCP and over Upstash's REST protocol (through
 * the local front, with the real @upstash/redis client and its base64 decoding).
 */

const rand = () => randomBytes(6).toString("hex");

interface Subject {
  port: RedisPort;
  close(): Promise<void>;
}

async function makeTcp(prefix: string): Promise<Subject> {
  const port = createTcpRedis(REDIS_URL, prefix);
  return { port, close: () => port.close() };
}

async function makeUpstash(prefix: string): Promise<Subject> {
  const front: UpstashFront = await startUpstashFront({ redisUrl: REDIS_URL, token: `tok-${rand()}` });
  const port = createUpstashRedis(front.url, front.token, prefix);
  return {
    port,
    close: async () => {
      await port.close();
      await front.close();
    },
  };
}

/** Strings that trip up encoders: base64 look-alikes, status look-alikes, unicode, control bytes. */
const TRICKY: [string, string][] = [
  ["OK", "OK"],
  ["base64 of OK", "T0s="],
  ["base64 of hello", "aGVsbG8="],
  ["PONG", "PONG"],
  ["empty", ""],
  ["newlines", "line1\nline2\r\n\n"],
  ["unicode", "héllo 🌍 नमस्ते — “quotes” \u2028"],
  ["control and high bytes", "\u0000\u0001\u007f\u0080\u00ff\ufffd"],
  ["json look-alike", '{"result":"x","error":null}'],
  ["null word", "null"],
  ["numeric", "12345"],
  ["negative numeric", "-0"],
  ["plain ascii", "just words"],
];

/**
 * Records the commands Redis executes (MONITOR), so a test can prove which of EVALSHA
 * and EVAL an adapter sent. `settle()` writes a marker and waits for it to come back:
 * MONITOR reports in execution order, so everything executed before it has been seen.
 */
async function watchCommands(raw: Redis) {
  const monitor = await raw.monitor();
  const seen: string[][] = [];
  const waiters = new Map<string, () => void>();
  monitor.on("monitor", (_time: string, args: string[]) => {
    seen.push(args);
    if (String(args[0]).toLowerCase() === "echo" && args[1] !== undefined) waiters.get(args[1])?.();
  });
  return {
    seen,
    async settle() {
      const marker = `marker-${rand()}`;
      const arrived = new Promise<void>((resolve) => waiters.set(marker, resolve));
      await raw.echo(marker);
      await arrived;
      waiters.delete(marker);
    },
    close: () => monitor.disconnect(),
  };
}

describe.each([
  ["tcp", makeTcp],
  ["upstash", makeUpstash],
] as const)("RedisPort over %s", (kind, make) => {
  const prefix = `rp:${rand()}:${kind}:`;
  let subject: Subject;
  let redis: RedisPort;
  /** Unprefixed client: inspects what the adapter really wrote. */
  let raw: Redis;

  beforeAll(async () => {
    raw = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    subject = await make(prefix);
    redis = subject.port;
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length) await raw.del(...keys);
    await subject.close();
    raw.disconnect();
  });

  it("is the adapter it claims to be, with the prefix it was given", () => {
    expect(redis.kind).toBe(kind);
    expect(redis.prefix).toBe(prefix);
  });

  it("ping answers true", async () => {
    expect(await redis.ping()).toBe(true);
  });

  describe("get / set", () => {
    it("set returns true, get reads it back, under the prefix", async () => {
      expect(await redis.set("plain", "v1")).toBe(true);
      expect(await redis.get("plain")).toBe("v1");
      expect(await raw.get(`${prefix}plain`)).toBe("v1");
      expect(await raw.exists("plain")).toBe(0);
    });

    it("get of a missing key is null", async () => {
      expect(await redis.get(`missing-${rand()}`)).toBeNull();
    });

    it("EX sets a TTL; without EX there is none", async () => {
      expect(await redis.set("with-ex", "v", { ex: 120 })).toBe(true);
      const ttl = await raw.ttl(`${prefix}with-ex`);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
      expect(await redis.set("without-ex", "v")).toBe(true);
      expect(await raw.ttl(`${prefix}without-ex`)).toBe(-1);
    });

    it("NX writes a missing key (true) and leaves an existing one alone (false)", async () => {
      const key = `nx-${rand()}`;
      expect(await redis.set(key, "first", { nx: true })).toBe(true);
      expect(await redis.set(key, "second", { nx: true })).toBe(false);
      expect(await redis.get(key)).toBe("first");
      // Without NX it overwrites.
      expect(await redis.set(key, "third")).toBe(true);
      expect(await redis.get(key)).toBe("third");
    });

    it("EX with NX: the TTL is set only when the write happens", async () => {
      const key = `exnx-${rand()}`;
      expect(await redis.set(key, "a", { ex: 300, nx: true })).toBe(true);
      expect(await raw.ttl(`${prefix}${key}`)).toBeGreaterThan(250);
      expect(await redis.set(key, "b", { ex: 5, nx: true })).toBe(false);
      expect(await redis.get(key)).toBe("a");
      expect(await raw.ttl(`${prefix}${key}`)).toBeGreaterThan(250);
    });

    it.each(TRICKY)("round-trips a value exactly: %s", async (_label, value) => {
      const key = `tricky-${rand()}`;
      expect(await redis.set(key, value)).toBe(true);
      expect(await redis.get(key)).toBe(value);
      // And what Redis stores is the UTF-8 of the value, not some encoding of it.
      expect((await raw.getBuffer(`${prefix}${key}`))!.equals(Buffer.from(value, "utf8"))).toBe(true);
    });

    it("round-trips a value written by someone else exactly", async () => {
      const value = "written raw: T0s= OK\n🌍";
      await raw.set(`${prefix}foreign`, value);
      expect(await redis.get("foreign")).toBe(value);
    });
  });

  describe("del", () => {
    it("counts only the keys that existed", async () => {
      await redis.set("d1", "x");
      await redis.set("d2", "x");
      expect(await redis.del("d1", "d2", `never-${rand()}`)).toBe(2);
      expect(await redis.get("d1")).toBeNull();
      expect(await redis.del("d1")).toBe(0);
    });

    it("with no keys is 0, not an error", async () => {
      expect(await redis.del()).toBe(0);
    });

    it("deletes only under its own prefix", async () => {
      await raw.set("unprefixed-victim-" + prefix, "keep");
      expect(await redis.del("unprefixed-victim-" + prefix)).toBe(0);
      expect(await raw.get("unprefixed-victim-" + prefix)).toBe("keep");
      await raw.del("unprefixed-victim-" + prefix);
    });
  });

  describe("incr / expire", () => {
    it("incr counts from 1 and returns numbers", async () => {
      const key = `ctr-${rand()}`;
      expect(await redis.incr(key)).toBe(1);
      expect(await redis.incr(key)).toBe(2);
      expect(await raw.get(`${prefix}${key}`)).toBe("2");
    });

    it("incr of a non-integer rejects with Redis' error", async () => {
      await redis.set("not-a-number", "abc");
      await expect(redis.incr("not-a-number")).rejects.toThrow(/not an integer/);
    });

    it("expire is true on an existing key and sets the TTL, false on a missing one", async () => {
      await redis.set("to-expire", "x");
      expect(await redis.expire("to-expire", 90)).toBe(true);
      const ttl = await raw.ttl(`${prefix}to-expire`);
      expect(ttl).toBeGreaterThan(60);
      expect(ttl).toBeLessThanOrEqual(90);
      expect(await redis.expire(`missing-${rand()}`, 90)).toBe(false);
    });
  });

  describe("run (Lua scripts)", () => {
    const script = (name: string, body: string): LuaScript =>
      // A nonce keeps each script's SHA this test's own, so other suites cannot load it.
      defineScript(name, `-- ${kind} ${rand()}\n${body}`);

    it("the SHA is Redis' SHA-1 of the source", async () => {
      const s = script("sha", "return 1");
      expect(await s.sha).toBe(await raw.script("LOAD", s.source));
    });

    describe("EVALSHA first, EVAL once on NOSCRIPT, EVALSHA thereafter", () => {
      let watch: Awaited<ReturnType<typeof watchCommands>>;
      beforeEach(async () => {
        watch = await watchCommands(raw);
        return () => watch.close();
      });

      it("falls back to EVAL when the script is not loaded, then uses EVALSHA", async () => {
        const s = script("counter", "return redis.call('INCRBY', KEYS[1], ARGV[1])");
        const sha = await s.sha;
        await raw.script("FLUSH");
        expect(await raw.script("EXISTS", sha)).toEqual([0]);

        // MONITOR shows the source escaped; its first line (the nonce) is enough to know it.
        const nonce = s.source.split("\n")[0]!;
        const scriptCalls = () =>
          watch.seen
            .filter((a) => a[1] === sha || (a[1] ?? "").startsWith(nonce))
            .map((a) => String(a[0]).toLowerCase());

        expect(await redis.run<number>(s, ["lua-counter"], [5])).toBe(5);
        await watch.settle();
        expect(scriptCalls()).toEqual(["evalsha", "eval"]);
        // The EVAL loaded it for next time.
        expect(await raw.script("EXISTS", sha)).toEqual([1]);

        watch.seen.length = 0;
        expect(await redis.run<number>(s, ["lua-counter"], [7])).toBe(12);
        await watch.settle();
        expect(scriptCalls()).toEqual(["evalsha"]);
        expect(await raw.get(`${prefix}lua-counter`)).toBe("12");
      });
    });

    it("a script that is loaded runs by EVALSHA without any NOSCRIPT round", async () => {
      const s = script("loaded", "return ARGV[1] .. ':' .. ARGV[2]");
      await raw.script("LOAD", s.source);
      expect(await redis.run<string>(s, [], ["a", 2])).toBe("a:2");
    });

    it("passes keys prefixed, exactly as the other commands prefix them", async () => {
      const s = script("keys", "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], KEYS[2], #KEYS, #ARGV}");
      expect(await redis.run(s, ["k-one", "k-two"], ["from-lua", "extra"])).toEqual([`${prefix}k-one`, `${prefix}k-two`, 2, 2]);
      // The key the script wrote is the key get() reads.
      expect(await redis.get("k-one")).toBe("from-lua");
      expect(await raw.get(`${prefix}k-one`)).toBe("from-lua");
    });

    it("passes arguments unprefixed, numbers as their decimal strings", async () => {
      const s = script("args", "return {ARGV[1], ARGV[2], ARGV[3], type(ARGV[2])}");
      expect(await redis.run(s, ["k"], ["k", 42, -1.5])).toEqual(["k", "42", "-1.5", "string"]);
    });

    it("with no keys and no arguments", async () => {
      const s = script("nothing", "return #KEYS + #ARGV");
      expect(await redis.run(s, [], [])).toBe(0);
    });

    it.each<[string, string, unknown]>([
      ["an integer", "return 42", 42],
      ["a negative integer", "return -7", -7],
      ["zero", "return 0", 0],
      ["a large integer", "return 1000000000000", 1_000_000_000_000],
      ["a float, truncated by Redis", "return 3.99", 3],
      ["true as 1", "return true", 1],
      ["false as nil", "return false", null],
      ["nil", "return nil", null],
      ["a string", "return 'hello'", "hello"],
      ["a unicode string", "return 'héllo 🌍 नमस्ते'", "héllo 🌍 नमस्ते"],
      ["a string with a NUL and control bytes", "return 'a\\0b\\1\\127c'", "a\u0000b\u0001\u007fc"],
      ["invalid UTF-8, replaced the same way", "return string.char(255, 0, 200, 65)", Buffer.from([255, 0, 200, 65]).toString("utf8")],
      ["a string that looks like OK", "return 'OK'", "OK"],
      ["a string that looks like base64", "return 'T0s='", "T0s="],
      ["an empty string", "return ''", ""],
      ["the status reply OK", "return redis.status_reply('OK')", "OK"],
      ["a status reply", "return redis.status_reply('QUEUED')", "QUEUED"],
      ["an empty array", "return {}", []],
      ["a flat array", "return {1, 'two', 3}", [1, "two", 3]],
      [
        "nested arrays with OK and base64 look-alikes at every depth",
        "return {'OK', 'T0s=', 1, {'OK', 'aGk=', {2, 'OK', {'deep', ''}}}, 'héllo'}",
        ["OK", "T0s=", 1, ["OK", "aGk=", [2, "OK", ["deep", ""]]], "héllo"],
      ],
      ["an array cut at the first nil", "return {1, 'a', nil, 'b'}", [1, "a"]],
      ["a false inside an array as null", "return {1, false, 'x'}", [1, null, "x"]],
    ])("returns %s identically", async (_label, body, expected) => {
      expect(await redis.run(script("ret", body), [], [])).toEqual(expected);
    });

    it.each(TRICKY)("echoes an argument exactly, alone and nested: %s", async (_label, value) => {
      const s = script("echo", "return {ARGV[1], {ARGV[1], {ARGV[1]}}}");
      expect(await redis.run(s, [], [value])).toEqual([value, [value, [value]]]);
      const single = script("echo1", "return ARGV[1]");
      expect(await redis.run(single, [], [value])).toBe(value);
    });

    it("a Lua runtime error rejects with Redis' message", async () => {
      const s = script("boom", "error('kaboom-" + kind + "')");
      await expect(redis.run(s, [], [])).rejects.toThrow(new RegExp(`ERR user_script:\\d+: kaboom-${kind}`));
    });

    it("an error_reply rejects with its message", async () => {
      const s = script("reply", "return redis.error_reply('CUSTOM refused by policy')");
      await expect(redis.run(s, [], [])).rejects.toThrow(/CUSTOM refused by policy/);
    });

    it("a failing redis.call rejects with the command's error", async () => {
      await redis.set("lua-string", "abc");
      const s = script("callerr", "return redis.call('INCR', KEYS[1])");
      await expect(redis.run(s, ["lua-string"], [])).rejects.toThrow(/not an integer/);
    });

    it("a syntax error rejects (it never loads, so no EVALSHA can succeed)", async () => {
      const s = script("syntax", "return (");
      await expect(redis.run(s, [], [])).rejects.toThrow(/Error compiling script/);
      expect(await raw.script("EXISTS", await s.sha)).toEqual([0]);
    });
  });
});
