import { TOTP } from "otpauth";
import { describe, expect, it } from "vitest";
import { matchStep, newTotpSecret, otpauthUri, totpCodeAt, totpStep } from "../lib/factors/totp.js";
import { newRecoveryCode, normaliseRecoveryCode } from "../lib/factors/recovery-code.js";

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_VECTORS: [number, string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

describe("TOTP (RFC 6238, SHA-1, 30 s)", () => {
  it("the RFC's test vectors: 8 digits through otpauth, and the 6-digit codes Sandesh accepts are their last six", () => {
    for (const [t, code] of RFC_VECTORS) {
      const eight = new TOTP({ secret: RFC_SECRET, algorithm: "SHA1", digits: 8, period: 30 }).generate({ timestamp: t * 1000 });
      expect(eight).toBe(code);
      const at = new Date(t * 1000);
      expect(totpCodeAt(RFC_SECRET, at)).toBe(code.slice(2));
      expect(matchStep(RFC_SECRET, code.slice(2), at)).toBe(Math.floor(t / 30));
    }
  });

  it("accepts one step either side and refuses two", () => {
    const at = new Date(1_700_000_000_000);
    const secret = newTotpSecret();
    const step = totpStep(at);
    const codeFor = (d: number) => totpCodeAt(secret, new Date(at.getTime() + d * 30_000));
    expect(matchStep(secret, codeFor(-1), at)).toBe(step - 1);
    expect(matchStep(secret, codeFor(0), at)).toBe(step);
    expect(matchStep(secret, codeFor(1), at)).toBe(step + 1);
    // A code two steps away is refused (unless, one time in a million, it equals a nearer one).
    for (const d of [-2, 2]) {
      const c = codeFor(d);
      if (![-1, 0, 1].some((n) => codeFor(n) === c)) expect(matchStep(secret, c, at)).toBeNull();
    }
  });

  it("refuses a wrong code and anything that is not six digits", () => {
    const at = new Date(1_700_000_000_000);
    const secret = newTotpSecret();
    const right = totpCodeAt(secret, at);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    expect(matchStep(secret, wrong, at)).toBeNull();
    for (const bad of ["", "12345", "1234567", "12345a", ` ${right}`]) expect(matchStep(secret, bad, at)).toBeNull();
  });

  it("a secret is 160 random bits in base32, and the URI is what authenticator apps scan", () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(a);
    const uri = new URL(otpauthUri(a, { issuer: "Sandesh", label: "ana@example.com" }));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Sandesh:ana@example.com");
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: "Sandesh", secret: a, algorithm: "SHA1", digits: "6", period: "30" });
  });
});

describe("recovery codes", () => {
  it("are 16 characters of Crockford base32 in four groups, and read back whatever the case, spacing or i/l/o", () => {
    const code = newRecoveryCode();
    expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    const plain = code.replace(/-/g, "");
    expect(normaliseRecoveryCode(code)).toBe(plain);
    expect(normaliseRecoveryCode(` ${code.toUpperCase()} `)).toBe(plain);
    expect(normaliseRecoveryCode("0000-1111-0000-1111".replace(/0/g, "O").replace(/1/g, "l"))).toBe("0000111100001111");
    expect(normaliseRecoveryCode("too-short")).toBeNull();
    expect(normaliseRecoveryCode("uuuu-uuuu-uuuu-uuuu")).toBeNull();
    expect(new Set(Array.from({ length: 50 }, newRecoveryCode)).size).toBe(50);
  });
});
