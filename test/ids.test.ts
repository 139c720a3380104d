import { describe, expect, it } from "vitest";
import { UUID_PATTERN, uuidv7 } from "../lib/ids.js";

describe("uuidv7", () => {
  it("is an RFC 9562 version-7 UUID whose first 48 bits are the time in ms", () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = uuidv7(at);
    expect(id).toMatch(UUID_PATTERN);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it("sorts by creation time, and ids of one millisecond differ", () => {
    const a = uuidv7(1_000_000);
    const b = uuidv7(1_000_001);
    expect(a < b).toBe(true);
    const same = new Set(Array.from({ length: 1000 }, () => uuidv7(5)));
    expect(same.size).toBe(1000);
  });
});
