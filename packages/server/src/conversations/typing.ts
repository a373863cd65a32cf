import { EventEmitter } from "node:events";

/** Someone is typing in a conversation. */
export interface TypingSignal {
  accountSid: string;
  conversationSid: string;
  identity: string;
}

/**
 * Typing indicators: ephemeral, never stored and never in the event log (a lost one is replaced by
 * the next keystroke). The relay hands each signal to this process's sockets — visitors' (web chat)
 * and agents' (the real-time stream) — that watch the conversation.
 */
export class TypingRelay {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  announce(signal: TypingSignal): void {
    this.emitter.emit("typing", signal);
  }

  /** Calls `listener` with every signal until the returned function is called. */
  subscribe(listener: (signal: TypingSignal) => void): () => void {
    this.emitter.on("typing", listener);
    return () => this.emitter.off("typing", listener);
  }
}
