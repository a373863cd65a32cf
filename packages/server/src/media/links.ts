import { createHmac } from "node:crypto";
import { API_PREFIX } from "../platform/http/server.ts";
import { sameSecret } from "../platform/secrets/secret-box.ts";

/** Where signed links to media lead: an open route that checks the signature instead of credentials. */
export const MEDIA_CONTENT_PATH = `${API_PREFIX}/MediaContent`;

/**
 * Temporary links to one file, for whoever cannot present API credentials: a web chat visitor's
 * browser, a provider fetching an MMS picture, Meta fetching a WhatsApp attachment. A link names
 * the file and its expiry and carries an HMAC of both under a key derived from the server's key.
 */
export class MediaLinks {
  constructor(private readonly key: Uint8Array) {}

  /** A path (without origin) to the file's bytes, valid until `expiresAtMs`. */
  path(mediaSid: string, expiresAtMs: number): string {
    const expires = Math.ceil(expiresAtMs / 1000);
    return `${MEDIA_CONTENT_PATH}/${mediaSid}?Expires=${expires}&Signature=${this.sign(mediaSid, expires)}`;
  }

  /** Whether a link's signature is ours and it has not expired at `nowMs`. */
  valid(mediaSid: string, expires: number, signature: string, nowMs: number): boolean {
    return expires * 1000 > nowMs && sameSecret(signature, this.sign(mediaSid, expires));
  }

  private sign(mediaSid: string, expires: number): string {
    return createHmac("sha256", this.key).update(`${mediaSid}:${expires}`).digest("base64url");
  }
}
