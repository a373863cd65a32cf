import { z } from "zod";
import { isoAt } from "../platform/time.ts";
import { durationMs } from "./durations.ts";
import { CONVERSATION_EVENTS } from "./store.ts";

/** JSON text, checked and stored as given (Twilio echoes attributes back verbatim). */
export const jsonText = z.string().refine((text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}, "must be valid JSON");

/** An ISO 8601 date, stored in our timestamp form. */
export const date = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 date")
  .transform((text) => isoAt(Date.parse(text)));

/** A conversation timer: an ISO 8601 duration of at least `minMinutes`, or empty to clear it. */
export const timer = (minMinutes: number) =>
  z.string().refine((text) => {
    if (text === "") return true;
    const ms = durationMs(text);
    return ms !== undefined && ms >= minMinutes * 60_000;
  }, `expected an ISO 8601 duration of at least ${minMinutes} minutes, such as PT${minMinutes}M`);

/** A list parameter sent repeated (Twilio's SDKs) or comma-separated. */
export const list = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean));

const twilioEventNames = Object.values(CONVERSATION_EVENTS) as string[];
export const eventFilters = list.pipe(
  z.array(
    z.string().refine((name) => twilioEventNames.includes(name), {
      message: `expected event names among ${twilioEventNames.join(", ")}`,
    }),
  ),
);
