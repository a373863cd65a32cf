import type { ChannelAdapter } from "./channel.ts";
import { customChannel } from "./custom/adapter.ts";

/** Every channel adapter Switchboard runs. */
export const CHANNELS: ChannelAdapter[] = [customChannel];
