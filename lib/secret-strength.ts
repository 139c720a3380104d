/**
 * Production refuses secrets that only look like secrets. A length rule alone takes
 * 32 × "a", "0123456789abcdef…" or a word repeated, and MASTER_KEK is the root of
 * the vault: scrypt stretches it but cannot add entropy it never had.
 *
 * The estimate is deliberately crude and conservative: length × the Shannon entropy of
 * either the characters or the steps between neighbours, whichever is lower (a run like
 * "abcdef" has varied characters but one repeated step). Random output scores far above
 * the bars (32 random bytes in base64: ≈ 190 bits or more; Meta's 32-hex app secret:
 * ≈ 100), human patterns far below.
 */

export const GENERATOR = `openssl rand -base64 32  (or: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`;

/** Bits each secret must reach, by the estimate below. */
export const MIN_BITS = { kek: 128, secret: 64 } as const;

function shannon(xs: number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / xs.length) * Math.log2(c / xs.length);
  return h;
}

export function estimateBits(s: string): number {
  const codes = [...s].map((c) => c.codePointAt(0)!);
  if (codes.length < 2) return 0;
  const steps = codes.slice(1).map((c, i) => c - codes[i]!);
  return codes.length * Math.min(shannon(codes), shannon(steps));
}

/**
 * The production problems of a set of named secrets: each strong enough, no two equal
 * (one leaked value must not open two doors). Messages never contain a value.
 */
export function secretProblems(secrets: { name: string; value: string | undefined; bits: number }[]): { name: string; what: string }[] {
  const problems: { name: string; what: string }[] = [];
  const given = secrets.filter((s): s is { name: string; value: string; bits: number } => !!s.value);
  for (const s of given) {
    if (estimateBits(s.value) < s.bits) problems.push({ name: s.name, what: `is too predictable for production (a repeated character, a sequence or a repeated word?); generate one with: ${GENERATOR}` });
  }
  given.forEach((s, i) => {
    const twin = given.slice(0, i).find((o) => o.value === s.value);
    if (twin) problems.push({ name: s.name, what: `must differ from ${twin.name}: each secret its own random value` });
  });
  return problems;
}
