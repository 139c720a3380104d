import { hmac } from "@noble/hashes/hmac.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { AppError } from "../errors.js";
import { sha256Hex, toBase64Url, utf8 } from "../crypto/encoding.js";

/**
 * AES-256-GCM field encryption. A sealed field is four columns: ciphertext, a 12-byte
 * random IV, the 16-byte tag and the key version. The additional authenticated data
 * names the table, column, row and workspace, so a ciphertext copied to another row
 * or tenant fails to open instead of leaking under the wrong owner.
 */
export interface Sealed {
  ciphertext: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  keyVersion: number;
}

/**
 * Which field of which row, and whose: a tenant's (workspaceId) or, for person-scoped
 * tables that have no workspace (a user's TOTP secret), the person's (userId).
 */
export type FieldRef = { table: string; column: string; rowId: string } & ({ workspaceId: string } | { userId: string });

export interface VaultKeys {
  currentVersion: number;
  keks: Record<number, string>;
}

// scrypt cost: MASTER_KEK is already high-entropy, so this is defence in depth; 2^14
// keeps the once-per-isolate derivation well inside a Worker's CPU budget.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, dkLen: 32 } as const;
export const saltFor = (version: number) => `sandesh-kek-v${version}`;

// Derived keys are cached per process/isolate, keyed by a hash of the KEK (never the KEK).
// With each key its check: HMAC-SHA256 of a fixed constant under the derived bytes, which
// can be stored to tell a wrong MASTER_KEK at start, and reveals nothing of the key.
interface Derived {
  key: CryptoKey;
  check: string;
  /** HMAC key for keyed hashes of personal data (an erased contact's number). */
  mac: CryptoKey;
}
const HASH_LABEL = "sandesh/vault/keyed-hash/v1";
const derived = new Map<string, Promise<Derived>>();
const CHECK_CONSTANT = "sandesh/vault/key-check/v1";

async function derive(kek: string, version: number): Promise<Derived> {
  const id = `${version}:${await sha256Hex(kek)}`;
  let d = derived.get(id);
  if (!d) {
    d = scryptAsync(utf8(kek), utf8(saltFor(version)), SCRYPT).then(async (raw) => {
      const bytes = raw as Uint8Array<ArrayBuffer>;
      const mac = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const check = new Uint8Array(await crypto.subtle.sign("HMAC", mac, utf8(`${CHECK_CONSTANT}|v${version}`)));
      const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
      // A key of its own for keyed hashes, so no hash is ever made under the sealing key.
      const macBytes = new Uint8Array(await crypto.subtle.sign("HMAC", mac, utf8(HASH_LABEL)));
      const hashKey = await crypto.subtle.importKey("raw", macBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return { key, mac: hashKey, check: [...check].map((b) => b.toString(16).padStart(2, "0")).join("") };
    });
    derived.set(id, d);
    d.catch(() => derived.delete(id));
  }
  return d;
}

// A person's owner reads `user:<id>`: a uuid has no colon, so it can never equal a tenant's.
const ownerOf = (f: FieldRef) => ("workspaceId" in f ? f.workspaceId : `user:${f.userId}`);
const aadFor = (f: FieldRef) => utf8(`sandesh/v1|${f.table}|${f.column}|${f.rowId}|${ownerOf(f)}`);

const WAMID_LABEL = "sandesh/vault/wamid-digest/v1";

export class Vault {
  private readonly wamidKeysByVersion = new Map<number, Uint8Array>();
  constructor(private readonly keys: VaultKeys) {}

  get currentVersion(): number {
    return this.keys.currentVersion;
  }

  /** Every configured key version, current first. */
  get versions(): number[] {
    const others = Object.keys(this.keys.keks).map(Number).filter((v) => v !== this.keys.currentVersion).sort((a, b) => a - b);
    return [this.keys.currentVersion, ...others];
  }

  /** The variable that holds a version's key: MASTER_KEK for the current one. */
  variableFor(version: number): string {
    return version === this.keys.currentVersion ? "MASTER_KEK" : `MASTER_KEK_V${version}`;
  }

  /** The version's key check (lib/vault/key-check.ts): an HMAC under the derived key, never the key. */
  async keyCheck(version: number): Promise<string> {
    return (await this.derived(version)).check;
  }

  private derived(version: number): Promise<Derived> {
    const kek = this.keys.keks[version];
    if (!kek) {
      throw new AppError(500, "vault_key_missing", `Vault key version ${version} is not configured (set MASTER_KEK_V${version})`);
    }
    return derive(kek, version);
  }

  private async key(version: number): Promise<CryptoKey> {
    return (await this.derived(version)).key;
  }

  /**
   * A keyed hash of a value (an erased contact's number): `erased:v<version>:<hex>`. The
   * same value gives the same hash under the same key version, so a later message from
   * the number still finds its erased contact; without MASTER_KEK it cannot be reversed
   * by hashing every phone number.
   */
  async keyedHash(value: string, version = this.keys.currentVersion): Promise<string> {
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", (await this.derived(version)).mac, utf8(value)));
    return `erased:v${version}:${[...sig].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  /** The value's keyed hash under every configured key version (look-ups match any of them). */
  keyedHashes(value: string): Promise<string[]> {
    return Promise.all(this.versions.map((v) => this.keyedHash(value, v)));
  }

  /**
   * A stable keyed digest of a WhatsApp message id, for principals shown masked numbers
   * (lib/permissions/phones.ts): base64url of HMAC-SHA256 under a key of its own (derived
   * from the current MASTER_KEK with a label), over the workspace and the wamid, cut to 22
   * characters (132 bits). Synchronous, so answers can be masked as they are rendered;
   * the same wamid gives the same digest in every answer, export and webhook while the
   * key version stays.
   */
  wamidDigest(workspaceId: string, wamid: string): string {
    const version = this.keys.currentVersion;
    let key = this.wamidKeysByVersion.get(version);
    if (!key) {
      const kek = this.keys.keks[version];
      if (!kek) throw new AppError(500, "vault_key_missing", `Vault key version ${version} is not configured (set MASTER_KEK)`);
      key = hmac(sha256, utf8(kek), utf8(WAMID_LABEL));
      this.wamidKeysByVersion.set(version, key);
    }
    const mac = hmac(sha256, key, utf8(`${workspaceId}|${wamid}`));
    return toBase64Url(mac).slice(0, 22);
  }

  async seal(plaintext: string, field: FieldRef): Promise<Sealed> {
    const version = this.keys.currentVersion;
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const out = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aadFor(field), tagLength: 128 }, await this.key(version), utf8(plaintext)),
    );
    return { ciphertext: out.slice(0, -16), iv, tag: out.slice(-16), keyVersion: version };
  }

  async open(sealed: Sealed, field: FieldRef): Promise<string> {
    const key = await this.key(sealed.keyVersion);
    const joined = new Uint8Array(new ArrayBuffer(sealed.ciphertext.length + sealed.tag.length));
    joined.set(sealed.ciphertext);
    joined.set(sealed.tag, sealed.ciphertext.length);
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: sealed.iv as Uint8Array<ArrayBuffer>, additionalData: aadFor(field), tagLength: 128 },
        key,
        joined,
      );
      return new TextDecoder().decode(plain);
    } catch {
      // GCM cannot tell a wrong key from tampering; say both, name the field, reveal nothing else.
      throw new AppError(
        500,
        "vault_decrypt_failed",
        `Cannot decrypt ${field.table}.${field.column}: wrong MASTER_KEK for key version ${sealed.keyVersion}, or the value was altered or moved`,
      );
    }
  }
}
