import type { ChannelFactory } from "./channel.ts";
import { customChannel } from "./custom/adapter.ts";
import { email } from "./email/adapter.ts";
import { messenger } from "./messenger/adapter.ts";
import { sms } from "./sms/adapter.ts";
import { webChat } from "./webchat/adapter.ts";
import { whatsapp } from "./whatsapp/adapter.ts";

/** Every channel adapter Switchboard runs. */
export const CHANNELS: ChannelFactory[] = [customChannel, webChat, sms, email, whatsapp, messenger];
