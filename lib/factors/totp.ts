import { Secret, TOTP } from "otpauth";

/**
 * RFC 6238 as every authenticator app speaks it: HMAC-SHA-1, 6 digits, 30-second steps.
 * otpauth computes the HMAC with @noble/hashes (pure JS), so the same code runs in
 * workerd and Node; only the time comes from us (Services.clock), never Date.now().
 */
export const TOTP_ALGORITHM = "SHA1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** One step either side: a phone's clock a little off, or a code typed as it rolled over. */
export const TOTP_WINDOW = 1;
/** RFC 4226 §4 asks for at least 128 bits and recommends 160: the HMAC-SHA-1 block's worth. */
const SECRET_BYTES = 20;

/** A fresh secret, base32 as authenticator apps take it. */
export const newTotpSecret = (): string => new Secret({ size: SECRET_BYTES }).base32;

const totpFor = (secretBase32: string, label = "", issuer = "") =>
  new TOTP({ issuer, label, algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_S, secret: Secret.fromBase32(secretBase32) });

/** The otpauth:// URI an app scans (as a QR code) or imports; it carries the secret, so it is shown once. */
export const otpauthUri = (secretBase32: string, p: { issuer: string; label: string }): string => totpFor(secretBase32, p.label, p.issuer).toString();

/** The time step a moment falls in: the counter RFC 6238 feeds to HOTP. */
export const totpStep = (at: Date): number => Math.floor(at.getTime() / 1000 / TOTP_PERIOD_S);

/** The code for a moment (tests, and the dashboard's own checks never need it otherwise). */
export const totpCodeAt = (secretBase32: string, at: Date): string => totpFor(secretBase32).generate({ timestamp: at.getTime() });

export const TOTP_CODE = /^\d{6}$/;

/**
 * The time step whose code this is, within ±1 step of `at`, or null. The caller refuses
 * a step at or before the last one used, so a code seen over a shoulder or in a proxy's
 * log cannot be replayed in the 90 s it stays valid. otpauth compares in constant time.
 */
export function matchStep(secretBase32: string, code: string, at: Date): number | null {
  if (!TOTP_CODE.test(code)) return null;
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: at.getTime(), window: TOTP_WINDOW });
  return delta === null ? null : totpStep(at) + delta;
}
