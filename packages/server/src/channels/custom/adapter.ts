import { z } from "zod";
import { jsonText } from "../../conversations/parameters.ts";
import { API_PREFIX } from "../../platform/http/server.ts";
import type { ChannelFactory } from "../channel.ts";

/**
 * A business's own channel, in two halves (docs/CHANNELS.md):
 * - inbound: the business's server POSTs each customer message here with its API credentials, naming
 *   the customer (`From`), the address of ours it wrote to (`To`, configured with type `custom`) and
 *   its own message ID (`MessageId`), which makes redeliveries harmless;
 * - outbound: the address configuration's auto-creation webhook (type `webhook`) is attached to each
 *   conversation it starts, so the business receives every message of it (agents' replies included)
 *   as signed `onMessageAdded` callbacks, retried until its endpoint takes them.
 */
export const customChannel: ChannelFactory = ({ inbound }) => ({
  type: "custom",
  apiRoutes(api) {
    api.post(
      `${API_PREFIX}/Channels/Custom/Messages`,
      {
        schema: {
          tags: ["Channels"],
          summary: "Receive a customer's message from a custom channel",
          body: z.object({
            To: z.string().min(1).max(255),
            From: z.string().min(1).max(255),
            Body: z.string().max(32_000),
            MessageId: z.string().min(1).max(255).optional(),
            Attributes: jsonText.optional(),
          }),
        },
      },
      async (request, reply) => {
        const { To, From, Body, MessageId, Attributes } = request.body;
        const received = await inbound.receive(request.principal.accountSid, {
          channel: "custom",
          from: From,
          to: To,
          body: Body,
          attributes: Attributes,
          externalId: MessageId === undefined ? undefined : `custom:${To}:${MessageId}`,
        });
        return reply.code(received.duplicate ? 200 : 201).send({
          conversation_sid: received.conversation.sid,
          message_sid: received.message.sid,
          index: received.message.message_index,
          duplicate: received.duplicate,
        });
      },
    );
  },
});
