import smpp from "smpp";

/** deliver_sm_resp status asking the SMSC to deliver the PDU again later. */
const TEMPORARY = smpp.errors.ESME_RX_T_APPN!;

/**
 * Joins the parts of concatenated messages. Parts are answered together once the whole message is
 * stored; parts whose siblings do not come in time are answered with a temporary error, so the SMSC
 * sends them again rather than counting them delivered.
 */
export class PartAssembler {
  private readonly pending = new Map<
    string,
    { texts: Array<string | undefined>; answers: Array<(status: number) => void>; timer: NodeJS.Timeout }
  >();

  constructor(private readonly timeoutMs: number) {}

  add(
    key: string,
    part: { total: number; sequence: number },
    text: string,
    whole: (body: string) => Promise<void>,
  ): Promise<number> {
    return new Promise((resolve) => {
      let entry = this.pending.get(key);
      if (!entry) {
        const created = {
          texts: Array<string | undefined>(part.total).fill(undefined),
          answers: [] as Array<(status: number) => void>,
          timer: setTimeout(() => this.answer(key, TEMPORARY), this.timeoutMs),
        };
        this.pending.set(key, created);
        entry = created;
      }
      entry.texts[part.sequence - 1] = text;
      entry.answers.push(resolve);
      if (entry.texts.some((t) => t === undefined)) return;
      clearTimeout(entry.timer);
      this.pending.delete(key);
      const answers = entry.answers;
      whole(entry.texts.join("")).then(
        () => answers.forEach((answer) => answer(0)),
        () => answers.forEach((answer) => answer(TEMPORARY)),
      );
    });
  }

  /** Answers every part still waiting (on shutdown: the SMSC resends them to whoever binds next). */
  abandon(): void {
    for (const key of [...this.pending.keys()]) this.answer(key, TEMPORARY);
  }

  private answer(key: string, status: number): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(key);
    for (const answer of entry.answers) answer(status);
  }
}
