import { exportJWK, generateKeyPair, type JWK } from "jose";
import { randomBytes } from "node:crypto";

/**
 * The issuer's signing keys. One key signs; keys it signed with before stay published
 * in the JWKS until their retirement time, as Google keeps the previous key listed while
 * tokens signed with it are still alive (ID tokens live an hour). A relying party that
 * meets a `kid` it does not know fetches the JWKS again and finds the new key there.
 */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** ms since epoch; undefined while it signs or until retired by hand. */
  retireAt?: number;
}

// Google's kids are 40 hex characters (a SHA-1); any opaque string would do.
const newKid = () => randomBytes(20).toString("hex");

export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const kid = newKid();
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { kty: "RSA", n: jwk.n, e: jwk.e, alg: "RS256", use: "sig", kid } };
}

export class KeyRing {
  private keys: SigningKey[];
  private constructor(
    first: SigningKey,
    private readonly now: () => number,
  ) {
    this.keys = [first];
  }

  static async create(now: () => number): Promise<KeyRing> {
    return new KeyRing(await generateSigningKey(), now);
  }

  /** The key that signs new tokens. */
  get current(): SigningKey {
    return this.keys[0]!;
  }

  /**
   * A new key signs from now on; the one before stays published for `keepPreviousMs`
   * (default 2 h: an ID token's hour and some), then leaves the JWKS.
   */
  async rotate(keepPreviousMs = 2 * 3600_000): Promise<SigningKey> {
    const next = await generateSigningKey();
    const previous = this.current;
    previous.retireAt = Math.min(previous.retireAt ?? Infinity, this.now() + keepPreviousMs);
    this.keys.unshift(next);
    return next;
  }

  /** Withdraws a key that no longer signs from the JWKS at once (a leaked key, or the end of a test's overlap). */
  retire(kid: string): boolean {
    const key = this.keys.find((k) => k.kid === kid);
    if (!key || key === this.current) return false;
    key.retireAt = this.now();
    return true;
  }

  /** What `/oauth2/v3/certs` lists: the signing key first, then every previous key not yet retired. */
  published(): SigningKey[] {
    const t = this.now();
    this.keys = this.keys.filter((k, i) => i === 0 || k.retireAt === undefined || k.retireAt > t);
    return [...this.keys];
  }
}
