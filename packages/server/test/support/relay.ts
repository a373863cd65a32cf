import type net from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A real SMTP relay on loopback that requires a login and keeps every message it is given. */
export class Relay {
  readonly received: ParsedMail[] = [];
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    hideSTARTTLS: true,
    logger: false,
    onAuth: (auth, _session, callback) =>
      auth.username === "relay-user" && auth.password === "relay-pass"
        ? callback(null, { user: auth.username })
        : callback(new Error("Invalid login")),
    onData: (stream, _session, callback) => {
      simpleParser(stream).then((mail) => {
        this.received.push(mail);
        callback();
      }, callback);
    },
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.server.address() as net.AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
