import type { Logger } from "pino";
import smpp, { type PDU, type Session } from "smpp";
import type { Provider } from "../../messaging/providers.ts";

export interface SmppLinkOptions {
  /** How often an idle link asks the SMSC whether it is still there. */
  enquireLinkMs: number;
  /** How long the SMSC has to answer a request before the link is taken as dead. */
  responseTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

/** Answers an SMSC's deliver_sm with the command_status of its deliver_sm_resp. */
export type DeliverHandler = (pdu: PDU) => Promise<number>;

/** SMPP 3.4 interface_version. */
const VERSION_3_4 = 0x34;

/**
 * One SMPP 3.4 transceiver bind to an SMSC for one provider, kept up for as long as the link runs:
 * it binds on connect, checks the line with enquire_link, answers the SMSC's own enquire_link and
 * unbind, and after any loss reconnects with capped exponential backoff. A request in flight when
 * the line drops fails at once (the sender retries it), never hangs.
 */
export class SmppLink {
  private session: Session | undefined;
  private bound = false;
  /** Whether the current session's socket is open (its "close" has not come yet). */
  private open = false;
  private stopped = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<PDU, (error: Error) => void>();

  constructor(
    readonly provider: Provider,
    private readonly password: string,
    private readonly onDeliver: DeliverHandler,
    private readonly logger: Logger,
    private readonly options: SmppLinkOptions,
  ) {}

  get address(): string {
    return `${this.provider.settings.host}:${this.provider.settings.port}`;
  }

  start(): void {
    this.connect();
  }

  /** Unbinds politely (briefly waiting for the SMSC's answer), then closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.enquireTimer);
    const session = this.session;
    if (!session || !this.open) return;
    if (this.bound)
      await this.request(new smpp.PDU("unbind"), session).catch(() => {
        // The SMSC did not answer the unbind: closing is all that is left.
      });
    if (this.open) await new Promise<void>((resolve) => session.destroy(() => resolve()));
  }

  /** Sends a request on the bound session and resolves with the SMSC's response. */
  submit(pdu: PDU): Promise<PDU> {
    if (!this.bound || !this.session)
      return Promise.reject(new Error(`Not bound to the SMSC at ${this.address}`));
    return this.request(pdu, this.session);
  }

  private connect(): void {
    const { host, port } = this.provider.settings;
    const session = smpp.connect({ host: host!, port: port! });
    this.session = session;
    this.open = true;
    session.on("connect", () => {
      const bind = new smpp.PDU("bind_transceiver", {
        system_id: this.provider.settings.username,
        password: this.password,
        system_type: this.provider.settings.system_type ?? "",
        interface_version: VERSION_3_4,
      });
      this.request(bind, session).then(
        (response) => {
          if (response.command_status !== 0) {
            this.logger.warn(
              { provider: this.provider.sid, smsc: this.address, status: response.command_status },
              "SMSC refused the bind",
            );
            session.destroy();
            return;
          }
          this.bound = true;
          this.failures = 0;
          this.logger.info({ provider: this.provider.sid, smsc: this.address }, "bound to SMSC");
          this.enquireTimer = setInterval(() => {
            this.request(new smpp.PDU("enquire_link"), session).catch(() => session.destroy());
          }, this.options.enquireLinkMs);
        },
        () => session.destroy(),
      );
    });
    session.on("deliver_sm", (pdu: PDU) => {
      void this.onDeliver(pdu)
        .catch((error: unknown) => {
          this.logger.error({ err: error, provider: this.provider.sid }, "deliver_sm not taken");
          return smpp.errors.ESME_RX_T_APPN!; // temporary: the SMSC delivers it again later
        })
        .then((status) => session.send(pdu.response({ command_status: status })));
    });
    session.on("enquire_link", (pdu: PDU) => session.send(pdu.response()));
    session.on("unbind", (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on("error", (error: Error) =>
      this.logger.warn({ err: error, provider: this.provider.sid, smsc: this.address }, "SMSC link error"),
    );
    session.on("close", () => {
      if (this.session === session) this.open = false;
      this.bound = false;
      clearInterval(this.enquireTimer);
      for (const fail of this.inFlight.values())
        fail(new Error(`The link to the SMSC at ${this.address} closed`));
      this.inFlight.clear();
      if (this.stopped || this.session !== session) return;
      const delay = Math.min(
        this.options.reconnectMaxMs,
        this.options.reconnectBaseMs * 2 ** this.failures++,
      );
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private request(pdu: PDU, session: Session): Promise<PDU> {
    return new Promise<PDU>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inFlight.delete(pdu);
        reject(new Error(`The SMSC at ${this.address} did not answer ${pdu.command} in time`));
      }, this.options.responseTimeoutMs);
      this.inFlight.set(pdu, (error) => {
        clearTimeout(timer);
        reject(error);
      });
      const sent = session.send(pdu, (response) => {
        clearTimeout(timer);
        this.inFlight.delete(pdu);
        resolve(response);
      });
      if (!sent) {
        clearTimeout(timer);
        this.inFlight.delete(pdu);
        reject(new Error(`The link to the SMSC at ${this.address} is not writable`));
      }
    });
  }
}
