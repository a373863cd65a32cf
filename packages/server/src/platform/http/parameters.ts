import { z } from "zod";

/** A URL we will call back: absolute, http or https. */
export const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      return ["http:", "https:"].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, "expected an absolute http:// or https:// URL");

/** A callback URL that an empty value clears, as Twilio's resources allow. */
export const optionalHttpUrl = z.union([z.literal(""), httpUrl]);

/** Form booleans as Twilio's SDKs send them ("true" / "false", any case). */
export const formBoolean = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(["true", "false"], { message: "expected true or false" }))
  .transform((v) => v === "true");
