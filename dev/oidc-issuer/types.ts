import type { DevAccount } from "./accounts.js";
import type { KeyRing, SigningKey } from "./keys.js";

export interface DevClient {
  clientId: string;
  clientSecret: string;
  /** Exact matches only, as Google compares them. */
  redirectUris: string[];
}

export interface DevIssuerOptions {
  clients?: DevClient[];
  port?: number;
  host?: string;
  /** ID and access tokens live this long (Google: 3600 s). */
  tokenTtlS?: number;
  /** Authorization codes live this long (default 600 s). */
  codeTtlS?: number;
  /** Milliseconds since the epoch; the system clock unless a test moves it. */
  now?: () => number;
  /** JWKS `Cache-Control: max-age` (Google sends several hours). */
  jwksMaxAgeS?: number;
}

/** A token mis-issued on purpose: what a broken or hostile issuer (or a replayed response) would hand over. */
export interface TokenFault {
  /** Claims laid over the ones the issuer would sign (`undefined` removes a claim). */
  claims?: Record<string, unknown>;
  /** Sign with a key the JWKS never lists. */
  unpublishedKey?: boolean;
  /**
   * The classic forgeries: `none` (unsigned) or `HS256` keyed with the published public
   * key's JSON, under the current `kid`.
   */
  alg?: "none" | "HS256";
}

export interface TokenRequest {
  grantType: string | undefined;
  clientAuth: "client_secret_post" | "client_secret_basic" | "none";
  status: number;
  error?: string;
}

export interface DevIssuer {
  /** The issuer identifier (`iss`) and base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  registerClient(client: DevClient): void;
  /** A new key signs from now on; the previous one stays in the JWKS for `keepPreviousMs` (default 2 h). */
  rotateKeys(keepPreviousMs?: number): Promise<{ kid: string; previousKid: string }>;
  /** Removes a key that no longer signs from the JWKS now. */
  retireKey(kid: string): boolean;
  /** kids in the JWKS, the signing key first. */
  publishedKids(): string[];
  /** The next token answers carry these faults, one per answer, in order. */
  misissueNext(...faults: TokenFault[]): void;
  /** With an account set, the authorization endpoint approves at once as that account, without the page. */
  autoApprove(account?: Partial<DevAccount> & { email: string }): void;
  /** Signs an ID token outside the flow (the claims as given, plus iat/exp when absent). */
  signIdToken(claims: Record<string, unknown>, opts?: { unpublishedKey?: boolean }): Promise<string>;
  /** GETs of the JWKS so far. */
  readonly jwksFetches: number;
  readonly tokenRequests: TokenRequest[];
  close(): Promise<void>;
}

export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  responseMode: "query" | "form_post";
  expires: number;
}

export interface IssuedCode extends PendingAuthorization {
  account: DevAccount;
  used: boolean;
  accessTokens: string[];
}

export interface AccessGrant {
  account: DevAccount;
  expires: number;
  scope: string;
}

/** What the issuer's endpoints share: its clients, what it has handed out, and the faults queued for its next answers. */
export interface IssuerState {
  /** Set once the server listens. */
  url: string;
  now: () => number;
  tokenTtlS: number;
  codeTtlS: number;
  keys: KeyRing;
  clients: Map<string, DevClient>;
  pending: Map<string, PendingAuthorization>;
  codes: Map<string, IssuedCode>;
  accessTokens: Map<string, AccessGrant>;
  faults: TokenFault[];
  tokenRequests: TokenRequest[];
  /** Signs the tokens a fault asks to be signed with a key the JWKS never lists. */
  unpublished?: SigningKey;
  auto?: DevAccount;
}
