import { createHash } from "node:crypto";
import type { Logger } from "pino";
import smpp, { type PDU, type ShortMessage } from "smpp";
import { countSegments } from "../../messaging/segments.ts";
import type { Provider, ProviderStore } from "../../messaging/providers.ts";
import type { ChannelMessage, MessageStore } from "../../messaging/store.ts";
import { SendFailure, UNKNOWN_ERROR, type SendRequest, type Transport } from "../../messaging/transport.ts";
import { SmppLink, type SmppLinkOptions } from "./smpp-link.ts";
import { PartAssembler } from "./smpp-parts.ts";
import { parseDeliveryReceipt } from "./smpp-receipt.ts";

/** A customer's message as it arrived from an SMSC, whole (its parts joined). */
export interface MobileOriginated {
  provider: Provider;
  from: string;
  to: string;
  body: string;
  /** Stable for a redelivery of the same PDU(s), different for a new message with the same text. */
  providerMessageId: string;
}

/** Hands a customer's message on; resolves once it is stored. */
export type MobileOriginatedHandler = (message: MobileOriginated) => Promise<void>;

export interface SmppOptions extends SmppLinkOptions {
  /** How long the parts of a concatenated message are awaited before the SMSC is told to resend them. */
  partsTimeoutMs: number;
}

/** SMPP type of number / numbering plan for our addresses. */
const INTERNATIONAL = { ton: 0x01, npi: 0x01 };
const NETWORK_SPECIFIC = { ton: 0x03, npi: 0x00 };
const ALPHANUMERIC = { ton: 0x05, npi: 0x00 };

/** SMSC answers worth retrying: it is busy or briefly broken, not refusing this message. */
const PASSING = new Set(
  ["ESME_RTHROTTLED", "ESME_RMSGQFUL", "ESME_RSYSERR", "ESME_RX_T_APPN"].map((name) => smpp.errors[name]),
);
/** SMSC refusals that Twilio has a code for. */
const TWILIO_CODES = new Map([
  [smpp.errors.ESME_RINVDSTADR, 21211],
  [smpp.errors.ESME_RINVSRCADR, 21212],
]);

/**
 * SMS through SMSCs over SMPP 3.4: one transceiver link per provider of type `smpp`, opened when the
 * server starts and whenever a provider is added or changed. Outbound messages are `submit_sm`s asking
 * for a delivery receipt (GSM-7 in the SMSC's default alphabet or UCS-2, as counted by
 * messaging/segments.ts; a message longer than one segment goes in `message_payload` and the SMSC
 * splits it). `deliver_sm`s are either receipts, which move the message's status, or customers'
 * messages, whose parts are joined before the whole is stored; each is answered only after it is
 * stored, so the SMSC keeps (and resends) anything we did not take.
 */
export class SmppConnections {
  private readonly links = new Map<string, SmppLink>();
  private readonly parts: PartAssembler;
  private running = false;
  private readonly reconcile = (sid: string) => {
    void this.relink(sid).catch((error: unknown) =>
      this.logger.error({ err: error, provider: sid }, "could not reconnect an SMPP provider"),
    );
  };

  readonly transport: Transport = { providerType: "smpp", send: (request) => this.send(request) };

  constructor(
    private readonly providers: ProviderStore,
    private readonly messages: MessageStore,
    private readonly onMobileOriginated: MobileOriginatedHandler,
    private readonly logger: Logger,
    private readonly options: SmppOptions,
  ) {
    this.parts = new PartAssembler(options.partsTimeoutMs);
  }

  async start(): Promise<void> {
    this.running = true;
    this.providers.changes.on("changed", this.reconcile);
    for (const { provider, password } of await this.providers.ofType("smpp")) this.open(provider, password);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.providers.changes.off("changed", this.reconcile);
    this.parts.abandon();
    await Promise.all([...this.links.values()].map((link) => link.stop()));
    this.links.clear();
  }

  private async relink(sid: string): Promise<void> {
    const previous = this.links.get(sid);
    this.links.delete(sid);
    await previous?.stop();
    const found = await this.providers.withSecrets(sid);
    if (this.running && found?.provider.type === "smpp") this.open(found.provider, found.password);
  }

  private open(provider: Provider, password: string): void {
    const link = new SmppLink(
      provider,
      password,
      (pdu) => this.deliver(provider, pdu),
      this.logger,
      this.options,
    );
    this.links.set(provider.sid, link);
    link.start();
  }

  private async send({
    message,
    provider,
    attachments,
  }: SendRequest): Promise<{ providerMessageId: string }> {
    const link = this.links.get(provider.sid);
    if (!link) throw new Error("No SMPP link is open for this provider");
    // SMPP carries text: a conversation message's files go as links after it.
    const body = [message.body ?? "", ...attachments.map((a) => a.url)].filter(Boolean).join("\n");
    const response = await link.submit(submitPdu(message, body));
    if (response.command_status === 0) return { providerMessageId: String(response.message_id) };
    const status = response.command_status;
    const name = Object.entries(smpp.errors).find(([, value]) => value === status)?.[0] ?? "unknown status";
    throw new SendFailure(
      TWILIO_CODES.get(status) ?? UNKNOWN_ERROR,
      `The SMSC refused it: ${name} (0x${status.toString(16).padStart(4, "0")})`,
      !PASSING.has(status),
    );
  }

  /** A deliver_sm: a receipt for one of ours, or (part of) a customer's message. */
  private async deliver(provider: Provider, pdu: PDU): Promise<number> {
    const esmClass = Number(pdu.esm_class ?? 0);
    const content = (pdu.message_payload ?? pdu.short_message) as ShortMessage | undefined;
    const text =
      typeof content?.message === "string" ? content.message : (content?.message?.toString("latin1") ?? "");
    if (esmClass & smpp.ESM_CLASS.MC_DELIVERY_RECEIPT!) {
      const receipt = parseDeliveryReceipt({
        text,
        receiptedMessageId:
          typeof pdu.receipted_message_id === "string" ? pdu.receipted_message_id : undefined,
        messageState: typeof pdu.message_state === "number" ? pdu.message_state : undefined,
      });
      if (receipt?.status)
        await this.messages.report(provider.sid, receipt.messageId, receipt.status, receipt.error);
      return 0;
    }
    const from = fromSmpp(String(pdu.source_addr), Number(pdu.source_addr_ton));
    const to = fromSmpp(String(pdu.destination_addr), Number(pdu.dest_addr_ton));
    const concatenation = concatenationOf(content?.udh);
    const whole = async (body: string, identity: string) =>
      this.onMobileOriginated({
        provider,
        from,
        to,
        body,
        providerMessageId: `mo:${createHash("sha256").update(`${from}\n${to}\n${identity}\n${body}`).digest("hex").slice(0, 40)}`,
      });
    if (!concatenation) {
      await whole(text, String(pdu.sequence_number));
      return 0;
    }
    return this.parts.add(
      `${provider.sid} ${from} ${to} ${concatenation.reference}`,
      concatenation,
      text,
      (body) => whole(body, `ref ${concatenation.reference}`),
    );
  }
}

/** The concatenation information element of a user data header (8- or 16-bit reference), if any. */
function concatenationOf(
  udh: Buffer[] | undefined,
): { reference: number; total: number; sequence: number } | undefined {
  for (const element of udh ?? []) {
    if (element[0] === 0x00 && element.length >= 5)
      return { reference: element[2]!, total: element[3]!, sequence: element[4]! };
    if (element[0] === 0x08 && element.length >= 6)
      return { reference: element.readUInt16BE(2), total: element[4]!, sequence: element[5]! };
  }
  return undefined;
}

function submitPdu(message: ChannelMessage, body: string): PDU {
  const { encoding, segments } = countSegments(body);
  const source = toSmpp(message.from_address);
  const destination = toSmpp(message.to_address);
  const content = { message: body };
  return new smpp.PDU("submit_sm", {
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    source_addr: source.address,
    dest_addr_ton: destination.ton,
    dest_addr_npi: destination.npi,
    destination_addr: destination.address,
    registered_delivery: 0x01, // a receipt for success and failure
    data_coding: encoding === "GSM-7" ? smpp.ENCODING.SMSC_DEFAULT : smpp.ENCODING.UCS2,
    ...(segments > 1 ? { message_payload: content } : { short_message: content }),
  });
}

/** Our address form (`+15551234567`, a short code, a sender name) as SMPP's number type and digits. */
function toSmpp(address: string): { ton: number; npi: number; address: string } {
  if (address.startsWith("+")) return { ...INTERNATIONAL, address: address.slice(1) };
  if (/^\d+$/.test(address)) return { ...NETWORK_SPECIFIC, address };
  return { ...ALPHANUMERIC, address };
}

function fromSmpp(address: string, ton: number): string {
  return ton === INTERNATIONAL.ton && /^\d+$/.test(address) ? `+${address}` : address;
}
