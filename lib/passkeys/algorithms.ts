/**
 * COSE algorithms offered at registration and accepted at verification: EdDSA, ES256,
 * RS256 — what authenticators in use make. Named once, so the options and the check can
 * never drift apart (the library's default grows with the runtime).
 */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];

/** How long the browser's prompt may stay open; the challenge lives longer (CHALLENGE_TTL_S). */
export const CEREMONY_TIMEOUT_MS = 120_000;
