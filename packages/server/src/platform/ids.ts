import { randomBytes } from "node:crypto";
import { assertPrefix, type SidGenerator } from "@switchboard/engine";

/** The production SID generator: 128 random bits per SID, so SIDs cannot be guessed or enumerated. */
export const randomSids: SidGenerator = {
  next(prefix) {
    assertPrefix(prefix);
    return prefix + randomBytes(16).toString("hex");
  },
};

/** A random secret of `bytes` bytes as lowercase hex (auth tokens, API key secrets). */
export function randomSecret(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}
