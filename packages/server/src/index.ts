export { Switchboard, type SwitchboardParts } from "./app.ts";
export { loadConfig, ConfigError, type Config } from "./config.ts";
export { twilioSignature } from "./webhooks/signature.ts";
