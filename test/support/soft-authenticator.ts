import { encodeCbor } from "./cbor.js";

/**
 * A software WebAuthn authenticator and client for Node tests: what a browser plus a
 * platform authenticator would hand the server, built byte for byte (clientDataJSON,
 * authenticatorData with its flags and signature counter, a 'none' attestation object,
 * ES256 keys and DER signatures from WebCrypto). Credentials are discoverable: each
 * keeps its user handle, and a sign-in with an empty allowCredentials picks one for the
 * RP ID as a passkey would. Every field a device could get wrong can be overridden, so
 * a test can hand the server exactly the response it means to refuse.
 */

type B64 = string;
const b64url = (b: Uint8Array): B64 => Buffer.from(b).toString("base64url");
const fromB64url = (s: B64): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, "base64url"));
const sha256 = async (b: Uint8Array<ArrayBuffer> | string) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", typeof b === "string" ? new TextEncoder().encode(b) : b));

export interface Flags {
  up?: boolean;
  uv?: boolean;
  /** Backup eligible: the credential can be synced (a multi-device passkey). */
  be?: boolean;
  /** Backup state: it is synced now. */
  bs?: boolean;
}

/** What a test may change about one ceremony's response. */
export interface Tamper extends Flags {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  /** Sign-in: the signature counter to report (default: one more than last time). */
  counter?: number;
  /** Sign-in: which stored credential answers (default: the first allowed, or any for the RP ID). */
  credentialId?: B64;
  /** Sign-in: another user handle than the credential's own. */
  userHandle?: B64 | null;
}

export interface SoftCredential {
  id: B64;
  rpId: string;
  userHandle: B64;
  userName: string;
  keys: CryptoKeyPair;
  counter: number;
  flags: Required<Pick<Flags, "be" | "bs">>;
}

export interface CreationOptions {
  challenge: B64;
  rp: { id?: string; name: string };
  user: { id: B64; name: string; displayName: string };
  excludeCredentials?: { id: B64 }[];
  authenticatorSelection?: { residentKey?: string; userVerification?: string };
}

export interface RequestOptions {
  challenge: B64;
  rpId?: string;
  allowCredentials?: { id: B64 }[];
  userVerification?: string;
}

// AAGUID of no real model: tests must not depend on one.
const AAGUID = new Uint8Array(16).fill(0x5a);

function flagsByte(f: Required<Flags>, attested: boolean): number {
  return (f.up ? 0x01 : 0) | (f.uv ? 0x04 : 0) | (f.be ? 0x08 : 0) | (f.bs ? 0x10 : 0) | (attested ? 0x40 : 0);
}

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** WebCrypto signs ECDSA as r||s; WebAuthn carries the ASN.1 DER form. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.slice(i);
    if (v[0]! & 0x80) v = Uint8Array.from([0, ...v]);
    return [0x02, v.length, ...v];
  };
  const body = [...int(raw.slice(0, 32)), ...int(raw.slice(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

async function coseKey(pub: CryptoKey): Promise<Uint8Array> {
  const jwk = await crypto.subtle.exportKey("jwk", pub);
  // kty EC2, alg ES256, crv P-256, x, y
  return encodeCbor(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, fromB64url(jwk.x!)], [-3, fromB64url(jwk.y!)]]));
}

/** What PublicKeyCredential.toJSON() has besides its response. */
const credentialJson = (id: B64) => ({ id, rawId: id, type: "public-key" as const, authenticatorAttachment: "platform" as const, clientExtensionResults: {} });

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  /** `origin` is where the "browser" is; flags are this device's defaults (UV on, a synced passkey). */
  constructor(
    readonly origin: string,
    readonly defaults: Required<Flags> = { up: true, uv: true, be: true, bs: true },
  ) {}

  private clientData(type: string, challenge: B64, t: Tamper): string {
    return JSON.stringify({ type: t.type ?? type, challenge: t.challenge ?? challenge, origin: t.origin ?? this.origin, crossOrigin: false });
  }

  private rpIdOf(declared: string | undefined): string {
    return declared ?? new URL(this.origin).hostname;
  }

  /** navigator.credentials.create(): a new ES256 credential, 'none' attestation. */
  async create(options: CreationOptions, t: Tamper = {}) {
    const rpId = this.rpIdOf(options.rp.id);
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => excluded.has(c.id))) throw new Error("InvalidStateError: this authenticator already holds an excluded credential");
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const rawId = crypto.getRandomValues(new Uint8Array(32));
    const f: Required<Flags> = { up: t.up ?? this.defaults.up, uv: t.uv ?? this.defaults.uv, be: t.be ?? this.defaults.be, bs: t.bs ?? this.defaults.bs };
    const cred: SoftCredential = { id: b64url(rawId), rpId, userHandle: options.user.id, userName: options.user.name, keys, counter: 0, flags: { be: f.be, bs: f.bs } };
    const authData = Uint8Array.from([
      ...(await sha256(t.rpId ?? rpId)),
      flagsByte(f, true),
      ...u32(0),
      ...AAGUID,
      rawId.length >> 8,
      rawId.length & 0xff,
      ...rawId,
      ...(await coseKey(keys.publicKey)),
    ]);
    const attestationObject = encodeCbor({ fmt: "none", attStmt: {}, authData });
    this.credentials.push(cred);
    return {
      ...credentialJson(cred.id),
      response: {
        clientDataJSON: b64url(new TextEncoder().encode(this.clientData("webauthn.create", options.challenge, t))),
        attestationObject: b64url(attestationObject),
        transports: ["internal", "hybrid"],
      },
    };
  }

  /** navigator.credentials.get(): an assertion from an allowed credential, or any for the RP ID. */
  async get(options: RequestOptions, t: Tamper = {}) {
    const rpId = this.rpIdOf(options.rpId);
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const cred = this.credentials.find((c) =>
      t.credentialId ? c.id === t.credentialId : c.rpId === rpId && (allowed.length === 0 || allowed.includes(c.id)),
    );
    if (!cred) throw new Error("NotAllowedError: no credential for this RP ID");
    cred.counter = t.counter ?? cred.counter + 1;
    const f: Required<Flags> = { up: t.up ?? this.defaults.up, uv: t.uv ?? this.defaults.uv, be: t.be ?? cred.flags.be, bs: t.bs ?? cred.flags.bs };
    const authData = Uint8Array.from([...(await sha256(t.rpId ?? rpId)), flagsByte(f, false), ...u32(cred.counter)]);
    const clientDataJSON = new TextEncoder().encode(this.clientData("webauthn.get", options.challenge, t));
    const signed = Uint8Array.from([...authData, ...(await sha256(clientDataJSON))]);
    const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, cred.keys.privateKey, signed));
    const userHandle = t.userHandle === undefined ? cred.userHandle : t.userHandle;
    return {
      ...credentialJson(cred.id),
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(rawToDer(raw)),
        ...(userHandle === null ? {} : { userHandle }),
      },
    };
  }
}
