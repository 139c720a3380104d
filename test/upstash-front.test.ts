import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashFront, type UpstashFront } from "../dev/upstash-rest/server.js";
import { REDIS_URL } from "./support/servers.js";

/**
 * The local Upstash REST front, spoken to with bare fetch: the wire protocol itself
 * (PROTOCOLS.md "Upstash Redis REST"), independent of any client library.
 */

const rand = () => randomBytes(6).toString("hex");
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

let front: UpstashFront;
let raw: Redis;
const P = `uf:${rand()}:`;

beforeAll(async () => {
  front = await startUpstashFront({ redisUrl: REDIS_URL, token: `front-${rand()}` });
  raw = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  const keys = await raw.keys(`${P}*`);
  if (keys.length) await raw.del(...keys);
  raw.disconnect();
  await front.close();
});

async function post(path: string, body: unknown, opts: { token?: string | null; base64?: boolean } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = opts.token === undefined ? front.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.base64) headers["upstash-encoding"] = "base64";
  const res = await fetch(`${front.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get("content-type"), body: JSON.parse(text) as unknown };
}

describe("authentication", () => {
  it.each<[string, string | null]>([
    ["no Authorization header", null],
    ["a wrong token", "not-the-token"],
    ["an empty token", ""],
  ])("%s → 401, and the command does not run", async (_label, token) => {
    const key = `${P}auth-${rand()}`;
    const res = await post("/", ["SET", key, "x"], { token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: expect.any(String) });
    expect(await raw.exists(key)).toBe(0);
  });

  it("a token that is only a prefix of the real one → 401", async () => {
    expect((await post("/", ["PING"], { token: front.token.slice(0, -1) })).status).toBe(401);
  });

  it("applies to /pipeline and /multi-exec too", async () => {
    expect((await post("/pipeline", [["PING"]], { token: "wrong" })).status).toBe(401);
    expect((await post("/multi-exec", [["PING"]], { token: null })).status).toBe(401);
  });

  it("the right token → 200", async () => {
    const res = await post("/", ["PING"]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: "PONG" });
  });
});

describe("POST / (one command)", () => {
  it("answers {result} as JSON: status, bulk, integer, null", async () => {
    const key = `${P}single-${rand()}`;
    const set = await post("/", ["SET", key, "value", "EX", 60]);
    expect(set).toEqual({ status: 200, contentType: "application/json", body: { result: "OK" } });
    expect(await raw.ttl(key)).toBeGreaterThan(0);
    expect((await post("/", ["GET", key])).body).toEqual({ result: "value" });
    expect((await post("/", ["SET", key, "other", "NX"])).body).toEqual({ result: null });
    expect((await post("/", ["INCR", `${key}:n`])).body).toEqual({ result: 1 });
    expect((await post("/", ["GET", `${P}missing-${rand()}`])).body).toEqual({ result: null });
    expect((await post("/", ["DEL", key, `${key}:n`, `${key}:none`])).body).toEqual({ result: 2 });
  });

  it("numbers in a command are sent as their decimal strings", async () => {
    const key = `${P}num-${rand()}`;
    expect((await post("/", ["SET", key, 12.5])).body).toEqual({ result: "OK" });
    expect(await raw.get(key)).toBe("12.5");
  });

  it("an array reply comes back as a JSON array", async () => {
    const key = `${P}list-${rand()}`;
    await raw.rpush(key, "a", "b", "c");
    expect((await post("/", ["LRANGE", key, 0, -1])).body).toEqual({ result: ["a", "b", "c"] });
  });

  it("a Redis error → 400 {error: 'ERR …'}", async () => {
    const key = `${P}str-${rand()}`;
    await raw.set(key, "abc");
    const res = await post("/", ["INCR", key]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "ERR value is not an integer or out of range" });
  });

  it("an unknown command → 400 with Redis' message", async () => {
    const res = await post("/", ["NOSUCHCOMMAND", "x"]);
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^ERR unknown command/);
  });

  it("a wrong-type error keeps its WRONGTYPE code", async () => {
    const key = `${P}wt-${rand()}`;
    await raw.set(key, "abc");
    const res = await post("/", ["LPUSH", key, "x"]);
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^WRONGTYPE /);
  });

  it("a body that is not a command → 400 with an ERR message", async () => {
    for (const body of [{ cmd: "PING" }, [], [null], "PING"]) {
      const res = await post("/", body);
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toMatch(/^ERR /);
    }
  });

  it("EVAL runs a script; EVALSHA of an unknown script → 400 NOSCRIPT", async () => {
    expect((await post("/", ["EVAL", "return {KEYS[1], ARGV[1]}", 1, "k", "a"])).body).toEqual({ result: ["k", "a"] });
    const res = await post("/", ["EVALSHA", randomBytes(20).toString("hex"), 0]);
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^NOSCRIPT /);
  });

  it("EVALSHA of a script it loaded runs it", async () => {
    const src = `return 'loaded ${rand()}'`;
    const sha = (await post("/", ["SCRIPT", "LOAD", src])).body as { result: string };
    expect(sha.result).toMatch(/^[0-9a-f]{40}$/);
    expect((await post("/", ["EVALSHA", sha.result, 0])).body).toEqual({ result: src.slice(8, -1) });
  });

  it("a Lua error → 400 with Redis' error", async () => {
    const res = await post("/", ["EVAL", "return redis.error_reply('MYERR no way')", 0]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "MYERR no way" });
  });
});

describe("POST /pipeline", () => {
  it("answers each command in order, success and error side by side", async () => {
    const key = `${P}pipe-${rand()}`;
    const str = `${P}pipe-str-${rand()}`;
    await raw.set(str, "abc");
    const res = await post("/pipeline", [
      ["SET", key, "1"],
      ["INCR", key],
      ["INCR", str],
      ["GET", key],
      ["EVALSHA", randomBytes(20).toString("hex"), 0],
      ["GET", `${P}none-${rand()}`],
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { result: "OK" },
      { result: 2 },
      { error: "ERR value is not an integer or out of range" },
      { result: "2" },
      { error: expect.stringMatching(/^NOSCRIPT /) },
      { result: null },
    ]);
  });

  it("a failed item does not stop the ones after it", async () => {
    const key = `${P}pipe-after-${rand()}`;
    const res = await post("/pipeline", [["NOSUCHCOMMAND"], ["SET", key, "written"]]);
    expect((res.body as unknown[])[1]).toEqual({ result: "OK" });
    expect(await raw.get(key)).toBe("written");
  });

  it("a body that is not a list of commands → 400", async () => {
    const res = await post("/pipeline", ["SET", "k", "v"]);
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^ERR /);
  });
});

describe("POST /multi-exec", () => {
  it("runs the commands as one transaction and answers each", async () => {
    const key = `${P}tx-${rand()}`;
    const res = await post("/multi-exec", [
      ["SET", key, "a"],
      ["APPEND", key, "bc"],
      ["GET", key],
      ["INCR", `${key}:n`],
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ result: "OK" }, { result: 3 }, { result: "abc" }, { result: 1 }]);
  });

  it("is sent to Redis as MULTI … EXEC", async () => {
    const key = `${P}tx-seen-${rand()}`;
    const monitor = await raw.monitor();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) =>
      monitor.on("monitor", (_t: string, args: string[]) => {
        const name = String(args[0]).toLowerCase();
        if (name === "multi" || name === "exec" || args[1] === key) seen.push(name);
        if (name === "echo" && args[1] === key) resolve();
      }),
    );
    try {
      await post("/multi-exec", [["SET", key, "1"], ["INCR", key]]);
      await raw.echo(key);
      await done;
    } finally {
      monitor.disconnect();
    }
    // Other suites may run their own transactions meanwhile; ours is MULTI, SET, INCR, EXEC in a row.
    const at = seen.indexOf("set");
    expect(seen.slice(at - 1, at + 3)).toEqual(["multi", "set", "incr", "exec"]);
  });

  it("a command Redis refuses to queue aborts the whole transaction → 400 EXECABORT, nothing written", async () => {
    const key = `${P}tx-abort-${rand()}`;
    const res = await post("/multi-exec", [["SET", key, "1"], ["NOSUCHCOMMAND"], ["SET", `${key}:2`, "2"]]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "EXECABORT Transaction discarded because of previous errors." });
    expect(await raw.exists(key, `${key}:2`)).toBe(0);
  });

  it("a command failing at run time gets its own {error}; the others still ran", async () => {
    const key = `${P}tx-err-${rand()}`;
    await raw.set(`${key}:s`, "abc");
    const res = await post("/multi-exec", [
      ["SET", key, "5"],
      ["INCR", `${key}:s`],
      ["INCR", key],
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ result: "OK" }, { error: "ERR value is not an integer or out of range" }, { result: 6 }]);
  });
});

describe("Upstash-Encoding: base64", () => {
  const tricky = "héllo 🌍\nT0s=";
  let key: string;
  beforeAll(async () => {
    key = `${P}enc-${rand()}`;
    await raw.set(key, tricky);
  });

  it("bulk strings are base64 of their UTF-8", async () => {
    expect((await post("/", ["GET", key], { base64: true })).body).toEqual({ result: b64(tricky) });
  });

  it("the status reply OK is not encoded", async () => {
    expect((await post("/", ["SET", `${P}enc-ok-${rand()}`, "v"], { base64: true })).body).toEqual({ result: "OK" });
  });

  it("other status replies are encoded like any string", async () => {
    expect((await post("/", ["PING"], { base64: true })).body).toEqual({ result: b64("PONG") });
  });

  it("integers and null are untouched", async () => {
    expect((await post("/", ["INCR", `${P}enc-n-${rand()}`], { base64: true })).body).toEqual({ result: 1 });
    expect((await post("/", ["GET", `${P}enc-none-${rand()}`], { base64: true })).body).toEqual({ result: null });
  });

  it("arrays are encoded element by element, nested arrays too, and OK inside an array is encoded", async () => {
    const script = "return {'a', 1, {'OK', 'é', {2, ''}}, false, 'OK'}";
    expect((await post("/", ["EVAL", script, 0], { base64: true })).body).toEqual({
      result: [b64("a"), 1, [b64("OK"), b64("é"), [2, ""]], null, b64("OK")],
    });
  });

  it("bytes that are not UTF-8 are encoded as the bytes Redis holds", async () => {
    const bin = `${P}enc-bin-${rand()}`;
    await raw.set(bin, Buffer.from([0xff, 0x00, 0xc8, 0x41]));
    expect((await post("/", ["GET", bin], { base64: true })).body).toEqual({ result: Buffer.from([0xff, 0x00, 0xc8, 0x41]).toString("base64") });
  });

  it("errors are not encoded", async () => {
    const res = await post("/", ["EVALSHA", randomBytes(20).toString("hex"), 0], { base64: true });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^NOSCRIPT No matching script/);
  });

  it("applies per item in /pipeline and /multi-exec", async () => {
    const cmds = [["GET", key], ["SET", `${P}enc-p-${rand()}`, "x"], ["INCR", `${P}enc-pn-${rand()}`], ["INCR", key]];
    const expected = [{ result: b64(tricky) }, { result: "OK" }, { result: 1 }, { error: "ERR value is not an integer or out of range" }];
    expect((await post("/pipeline", cmds, { base64: true })).body).toEqual(expected);
    cmds[1] = ["SET", `${P}enc-m-${rand()}`, "x"];
    cmds[2] = ["INCR", `${P}enc-mn-${rand()}`];
    expect((await post("/multi-exec", cmds, { base64: true })).body).toEqual(expected);
  });

  it("without the header nothing is encoded: the same replies as plain strings", async () => {
    expect((await post("/", ["GET", key])).body).toEqual({ result: tricky });
    expect((await post("/", ["PING"])).body).toEqual({ result: "PONG" });
    expect((await post("/", ["EVAL", "return {'a', 1, {'OK', 'é', {2, ''}}, false, 'OK'}", 0])).body).toEqual({
      result: ["a", 1, ["OK", "é", [2, ""]], null, "OK"],
    });
    expect((await post("/pipeline", [["GET", key], ["SET", `${P}plain-${rand()}`, "x"]])).body).toEqual([{ result: tricky }, { result: "OK" }]);
  });

  it("the header's value is case-insensitive", async () => {
    const res = await fetch(`${front.url}/`, {
      method: "POST",
      headers: { authorization: `Bearer ${front.token}`, "Upstash-Encoding": "BASE64" },
      body: JSON.stringify(["GET", key]),
    });
    expect(await res.json()).toEqual({ result: b64(tricky) });
  });
});
