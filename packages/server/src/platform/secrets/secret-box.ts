import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Encrypts secrets that must stay recoverable (auth tokens sign webhooks) with AES-256-GCM.
 * Ciphertext format: "v1:" + base64(iv[12] | tag[16] | ciphertext). The version prefix leaves room
 * for key rotation.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromBase64(key: string): SecretBox {
    const bytes = Buffer.from(key, "base64");
    if (bytes.length !== 32) throw new Error("a secret key must be 32 bytes");
    return new SecretBox(bytes);
  }

  /**
   * The configured key, or the one kept in `<dataDir>/secret.key` (made on first use, readable by
   * its owner only). Every node of a cluster must be given the same SWITCHBOARD_SECRET_KEY.
   */
  static load(configured: string | undefined, dataDir: string): SecretBox {
    if (configured) return SecretBox.fromBase64(configured);
    const file = path.join(dataDir, "secret.key");
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      return SecretBox.fromBase64(fs.readFileSync(file, "utf8").trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const fresh = randomBytes(32).toString("base64");
    // "wx": never overwrite a key another process wrote first; re-read whichever won.
    try {
      fs.writeFileSync(file, fresh + "\n", { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    return SecretBox.fromBase64(fs.readFileSync(file, "utf8").trim());
  }

  /** A separate 32-byte key for one purpose (e.g. signing stream tokens), derived with HKDF. */
  derive(purpose: string): Uint8Array {
    return new Uint8Array(hkdfSync("sha256", this.key, Buffer.alloc(0), `switchboard:${purpose}`, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return "v1:" + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  open(sealed: string): string {
    if (!sealed.startsWith("v1:")) throw new Error("unknown secret format");
    const raw = Buffer.from(sealed.slice(3), "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  }
}

/** One-way hash for secrets that are only ever compared (API key secrets: 128 random bits, so no stretching is needed). */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Compares without leaking, through timing, how many leading characters matched. */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}
