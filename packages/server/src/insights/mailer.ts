import nodemailer, { type Transporter } from "nodemailer";

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  attachments?: { filename: string; content: Buffer | string; contentType: string }[];
}

/**
 * Mail the server sends on its own behalf (alerts, scheduled reports) through the operator's relay
 * (`SWITCHBOARD_MAIL_RELAY_URL`). Accounts' email channels have their own relays; this is not one.
 */
export class Mailer {
  private readonly transport: Transporter | undefined;

  constructor(
    relayUrl: string | undefined,
    private readonly from: string,
  ) {
    this.transport = relayUrl ? nodemailer.createTransport(relayUrl) : undefined;
  }

  get configured(): boolean {
    return this.transport !== undefined;
  }

  /** Resolves once the relay took the message; rejects with the relay's reason otherwise. */
  async send(mail: Mail): Promise<void> {
    if (!this.transport) throw new Error("no mail relay is configured (SWITCHBOARD_MAIL_RELAY_URL)");
    await this.transport.sendMail({ from: this.from, ...mail });
  }

  close(): void {
    this.transport?.close();
  }
}
