import { describe, expect, it } from "vitest";
import { createTally, describeRefusals } from "../bench/support/tally.js";

describe("the benchmarks' answer tally", () => {
  it("counts only 2xx as sends and every other answer as a refusal by status and code", () => {
    const t = createTally();
    t.record(202, '{"id":"x","status":"queued"}');
    t.record(200, "{}");
    for (let i = 0; i < 3; i++) t.record(429, '{"error":{"code":"quota_sender_per_second","message":"…"}}');
    t.record(503, '{"error":{"code":"temporarily_unavailable"}}');
    t.record(500, "not json");
    t.record(302, undefined);
    expect(t.ok).toBe(2);
    expect(t.total).toBe(8);
    expect(Object.fromEntries(t.refused)).toEqual({ "429 quota_sender_per_second": 3, "503 temporarily_unavailable": 1, "500": 1, "302": 1 });
    expect(describeRefusals(t)).toBe("6 (429 quota_sender_per_second 3, 503 temporarily_unavailable 1, 500 1, 302 1)");
  });

  it("says none when every answer was a 2xx", () => {
    const t = createTally();
    t.record(202, "{}");
    expect(describeRefusals(t)).toBe("none");
  });
});
