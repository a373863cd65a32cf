import type { AddressInfo } from "node:net";
import smpp, { type PDU, type Session, type ShortMessage } from "smpp";

export interface Submitted {
  messageId: string;
  source: string;
  destination: string;
  text: string;
  dataCoding: number;
  /** True when the text came in message_payload rather than short_message. */
  payload: boolean;
  registeredDelivery: number;
}

/**
 * A real SMPP 3.4 SMSC on loopback, standing in for a carrier's: it binds transceivers that give its
 * system_id and password, takes submit_sm (answering with a message_id, or a status the test queues),
 * and sends deliver_sm — customers' messages and delivery receipts — to the bound session.
 */
export class Smsc {
  readonly systemId = "switchboard";
  readonly password = "s3cret";
  readonly submitted: Submitted[] = [];
  /** command_status for the next submit_sm answers, in order; once empty, every submission is taken. */
  readonly answers: number[] = [];
  binds = 0;
  port = 0;
  private sessions = new Set<Session>();
  private readonly server = smpp.createServer((session) => {
    session.on("bind_transceiver", (pdu: PDU) => {
      if (pdu.system_id !== this.systemId || pdu.password !== this.password) {
        session.send(pdu.response({ command_status: smpp.errors.ESME_RBINDFAIL }));
        session.close();
        return;
      }
      this.binds++;
      this.sessions.add(session);
      session.send(pdu.response({ system_id: "fake-smsc" }));
    });
    session.on("close", () => this.sessions.delete(session));
    session.on("error", () => this.sessions.delete(session));
    session.on("enquire_link", (pdu: PDU) => session.send(pdu.response()));
    session.on("unbind", (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on("submit_sm", (pdu: PDU) => {
      const status = this.answers.shift() ?? 0;
      if (status !== 0) return session.send(pdu.response({ command_status: status }));
      const content = (pdu.message_payload ?? pdu.short_message) as ShortMessage;
      const messageId = `smsc-${this.submitted.length + 1}`;
      this.submitted.push({
        messageId,
        source: String(pdu.source_addr),
        destination: String(pdu.destination_addr),
        text: String(content.message),
        dataCoding: Number(pdu.data_coding),
        payload: pdu.message_payload !== undefined,
        registeredDelivery: Number(pdu.registered_delivery),
      });
      session.send(pdu.response({ message_id: messageId }));
    });
  });

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(resolve));
  }

  get bound(): boolean {
    return this.sessions.size > 0;
  }

  /** Cuts every link, as a network failure would. */
  dropAll(): void {
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
  }

  /** A delivery receipt in the text format of SMPP 3.4 Appendix B. */
  receipt(messageId: string, stat: string, err = "000"): Promise<number> {
    const text = `id:${messageId} sub:001 dlvrd:${stat === "DELIVRD" ? "001" : "000"} submit date:2611210000 done date:2611210001 stat:${stat} err:${err} text:`;
    return this.deliver({ esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT, short_message: text });
  }

  /** A customer's message; with `parts`, split into that many concatenated parts (8-bit reference). */
  mobileOriginated(from: string, to: string, text: string, parts = 1, reference = 42): Promise<number[]> {
    const size = Math.ceil(text.length / parts);
    return Promise.all(
      Array.from({ length: parts }, (_, i) =>
        this.deliver({
          source_addr_ton: 1,
          source_addr_npi: 1,
          source_addr: from.replace(/^\+/, ""),
          dest_addr_ton: 1,
          dest_addr_npi: 1,
          destination_addr: to.replace(/^\+/, ""),
          short_message:
            parts === 1
              ? text
              : {
                  udh: Buffer.from([0x05, 0x00, 0x03, reference, parts, i + 1]),
                  message: text.slice(i * size, (i + 1) * size),
                },
        }),
      ),
    );
  }

  /** Sends a deliver_sm on the bound session and resolves with the command_status it was answered with. */
  private deliver(options: Record<string, unknown>): Promise<number> {
    const [session] = this.sessions;
    if (!session) return Promise.reject(new Error("no bound session"));
    return new Promise((resolve) =>
      session.deliver_sm(options, (response) => resolve(response.command_status)),
    );
  }
}
