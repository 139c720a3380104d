import { scryptAsync } from "@noble/hashes/scrypt.js";
import { AppError } from "../errors.js";
import { sha256Hex, utf8 } from "../crypto/encoding.js";

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

export interface FieldRef {
  table: string;
  column: string;
  rowId: string;
  workspaceId: string;
}

export interface VaultKeys {
  currentVersion: number;
  keks: Record<number, string>;
}

// scrypt cost: MASTER_KEK is already high-entropy, so this is defence in depth; 2^14
// keeps the once-per-isolate derivation well inside a Worker's CPU budget.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, dkLen: 32 } as const;
export const saltFor = (version: number) => `sandesh-kek-v${version}`;

// Derived keys are cached per process/isolate, keyed by a hash of the KEK (never the KEK).
const derived = new Map<string, Promise<CryptoKey>>();

async function deriveKey(kek: string, version: number): Promise<CryptoKey> {
  const id = `${version}:${await sha256Hex(kek)}`;
  let key = derived.get(id);
  if (!key) {
    key = scryptAsync(utf8(kek), utf8(saltFor(version)), SCRYPT).then((raw) =>
      crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]),
    );
    derived.set(id, key);
    key.catch(() => derived.delete(id));
  }
  return key;
}

const aadFor = (f: FieldRef) => utf8(`sandesh/v1|${f.table}|${f.column}|${f.rowId}|${f.workspaceId}`);

export class Vault {
  constructor(private readonly keys: VaultKeys) {}

  get currentVersion(): number {
    return this.keys.currentVersion;
  }

  private key(version: number): Promise<CryptoKey> {
    const kek = this.keys.keks[version];
    if (!kek) {
      throw new AppError(500, "vault_key_missing", `Vault key version ${version} is not configured (set MASTER_KEK_V${version})`);
    }
    return deriveKey(kek, version);
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
