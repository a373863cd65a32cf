import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, DESKTOP } from "./api.ts";
import type { StreamMessage } from "./stream.ts";

export interface ChatMessage {
  sid: string;
  index: number;
  author: string;
  body: string;
  media: Array<{ sid: string; filename: string | null; content_type: string; url: string }>;
  date_created: string;
}

export interface Whisper {
  sid: string;
  author: string;
  body: string;
}

/** Stream messages, fanned out to the conversation views that want them. */
export type StreamListeners = Set<(message: StreamMessage) => void>;

/**
 * One conversation as the desktop shows it. Messages are read from the API after the last index
 * held, whenever the stream says one was added or the stream (re)connects: so each message appears
 * once, in order, however the socket came and went.
 */
export function useConversation(sid: string, listeners: StreamListeners, readySignal: number) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [whispers, setWhispers] = useState<Whisper[]>([]);
  const [typing, setTyping] = useState<string | undefined>();
  const last = useRef(-1);
  const loading = useRef<Promise<void> | undefined>(undefined);
  const again = useRef(false);

  const load = useCallback(async () => {
    if (loading.current) {
      again.current = true;
      return;
    }
    const run = async () => {
      do {
        again.current = false;
        const page = await api<{ messages: ChatMessage[] }>(
          "GET",
          `${DESKTOP}/Conversations/${sid}/Messages?After=${last.current}`,
        );
        const fresh = page.messages.filter((m) => m.index > last.current);
        if (fresh.length > 0) {
          last.current = fresh.at(-1)!.index;
          setMessages((held) => [...held, ...fresh]);
        }
      } while (again.current);
    };
    loading.current = run().finally(() => (loading.current = undefined));
    return loading.current;
  }, [sid]);

  useEffect(() => {
    last.current = -1;
    setMessages([]);
    setWhispers([]);
    void load().catch(() => undefined);
  }, [sid, load]);

  // After every (re)connection, pick up what came meanwhile.
  useEffect(() => {
    if (readySignal > 0) void load().catch(() => undefined);
  }, [readySignal, load]);

  useEffect(() => {
    let typingTimer: ReturnType<typeof setTimeout> | undefined;
    const listener = (message: StreamMessage) => {
      if (message.type === "typing" && message.conversation_sid === sid) {
        setTyping(message.identity);
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => setTyping(undefined), 3_000);
      }
      if (message.type !== "event" || message.data.ConversationSid !== sid) return;
      if (message.event_type === "conversation.message.added") {
        setTyping(undefined);
        void load().catch(() => undefined);
      }
      if (message.event_type === "conversation.whisper") {
        const whisper = {
          sid: message.sid,
          author: message.data.Author ?? "",
          body: message.data.Body ?? "",
        };
        setWhispers((held) => (held.some((w) => w.sid === whisper.sid) ? held : [...held, whisper]));
      }
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      clearTimeout(typingTimer);
    };
  }, [sid, listeners, load]);

  return { messages, whispers, typing, reload: load };
}

/** The customer's identity in a task's conversation and the name to show for it. */
export function customerNames(attributes: Record<string, unknown>): Record<string, string> {
  const { from, customerName } = attributes;
  return typeof from === "string" && typeof customerName === "string" && customerName
    ? { [from]: customerName }
    : {};
}

/** The messages of a conversation, newest at the bottom, and the supervisor's whispers. */
export function MessageList({
  messages,
  whispers,
  typing,
  self,
  names,
}: {
  messages: ChatMessage[];
  whispers: Whisper[];
  typing: string | undefined;
  self: string | undefined;
  /** Display names by identity (a web chat visitor's identity is a random ID; their name is not). */
  names: Record<string, string>;
}) {
  const { t } = useTranslation();
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [messages.length, whispers.length]);
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <ol
        aria-label={t("conversation.messages")}
        aria-live="polite"
        className="flex-1 space-y-2 overflow-y-auto p-3"
      >
        {messages.map((m) => (
          <li
            key={m.sid}
            data-testid="message"
            className={`max-w-[75%] rounded-lg px-3 py-2 ${
              m.author === self ? "ml-auto bg-blue-700 text-white" : "bg-slate-100 text-slate-900"
            }`}
          >
            <div className="text-xs opacity-75">{names[m.author] ?? m.author}</div>
            <div className="whitespace-pre-wrap break-words">{m.body}</div>
            {m.media.map((file) => (
              <a
                key={file.sid}
                href={file.url}
                target="_blank"
                rel="noreferrer"
                className="block text-sm underline"
              >
                {file.filename ?? file.content_type}
              </a>
            ))}
          </li>
        ))}
        {whispers.map((w) => (
          <li
            key={w.sid}
            data-testid="whisper"
            className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm"
          >
            <span className="font-medium">{t("conversation.whisperFrom", { author: w.author })}</span>{" "}
            {w.body}
          </li>
        ))}
        <li ref={end} aria-hidden />
      </ol>
      <p className="h-5 px-3 text-xs text-slate-500" aria-live="polite">
        {typing ? t("conversation.typing", { name: names[typing] ?? typing }) : ""}
      </p>
    </div>
  );
}
