import i18next from "i18next";
import { StrictMode, useEffect, useRef, useState, type FormEvent } from "react";
import { createRoot } from "react-dom/client";
import { useTranslation } from "react-i18next";
import "../styles.css";
import { chooseLanguage, startI18n } from "../i18n/index.ts";
import {
  loadSession,
  startSession,
  storageKey,
  VisitorChat,
  waitLine,
  type ChatSession,
  type OutgoingMessage,
  type VisitorMessage,
} from "./visitor-chat.ts";
import { ErrorLine } from "../shared/ErrorLine.tsx";

const query = new URLSearchParams(window.location.search);
const ACCOUNT = query.get("account") ?? "";
const ADDRESS = query.get("address") ?? "";
/** The site may say which language to speak (data-language); else the visitor's browser decides. */
const LANGUAGE = chooseLanguage(query.get("language"));
const COLOR = /^#[0-9a-fA-F]{3,8}$/.test(query.get("color") ?? "") ? query.get("color")! : "#1d4ed8";
/** Extra pre-chat questions the site asked for; their answers become task attributes. */
const FIELDS = (query.get("fields") ?? "")
  .split(",")
  .map((f) => f.trim())
  .filter((f) => /^[a-z_][a-z0-9_]{0,30}$/i.test(f));
const KEY = storageKey(ACCOUNT, ADDRESS);

function Widget() {
  const [session, setSession] = useState<ChatSession | undefined>(() => loadSession(KEY));
  return (
    <div className="flex h-screen flex-col">
      <header className="px-4 py-3 font-semibold text-white" style={{ background: COLOR }}>
        <h1>{query.get("title") ?? i18next.t("widget.title")}</h1>
      </header>
      {session ? (
        <Chat
          session={session}
          onExpired={() => {
            localStorage.removeItem(KEY);
            setSession(undefined);
          }}
        />
      ) : (
        <PreChat onStarted={setSession} />
      )}
    </div>
  );
}

function PreChat({ onStarted }: { onStarted: (session: ChatSession) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState("");
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const session = await startSession(ACCOUNT, ADDRESS, name, answers);
      localStorage.setItem(KEY, JSON.stringify(session));
      onStarted(session);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form
      onSubmit={(e) => void submit(e)}
      className="flex flex-col gap-3 p-4"
      aria-label={t("widget.beforeWeStart")}
    >
      <p className="text-sm text-slate-600">{t("widget.intro")}</p>
      <label className="flex flex-col gap-1 text-sm">
        {t("widget.yourName")}
        <input
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          className="rounded border border-slate-300 px-2 py-1"
        />
      </label>
      {FIELDS.map((field) => (
        <label key={field} className="flex flex-col gap-1 text-sm">
          {field.charAt(0).toUpperCase() + field.slice(1).replace(/_/g, " ")}
          <input
            value={answers[field] ?? ""}
            onChange={(e) => setAnswers((a) => ({ ...a, [field]: e.target.value }))}
            className="rounded border border-slate-300 px-2 py-1"
          />
        </label>
      ))}
      <button type="submit" className="rounded px-3 py-2 text-white" style={{ background: COLOR }}>
        {t("widget.start")}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

function Chat({ session, onExpired }: { session: ChatSession; onExpired: () => void }) {
  const { t } = useTranslation();
  const [messages, setMessages] = useState<VisitorMessage[]>([]);
  const [outbox, setOutbox] = useState<OutgoingMessage[]>(session.outbox);
  const [typing, setTyping] = useState<string | undefined>();
  const [connected, setConnected] = useState(true);
  const [wait, setWait] = useState<{ ahead: number; seconds: number | null } | undefined>();
  const [draft, setDraft] = useState("");
  const chat = useRef<VisitorChat | undefined>(undefined);
  const end = useRef<HTMLLIElement>(null);
  const answered = messages.some((m) => m.author !== session.identity);

  useEffect(() => {
    let typingTimer: ReturnType<typeof setTimeout> | undefined;
    const visitorChat = new VisitorChat(session, KEY, {
      onMessage: (message) => {
        setTyping(undefined);
        setMessages((held) => [...held, message]);
      },
      onTyping: (identity) => {
        setTyping(identity);
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => setTyping(undefined), 3_000);
      },
      onConnection: setConnected,
      onExpired,
      onOutboxChange: setOutbox,
    });
    chat.current = visitorChat;
    visitorChat.start();
    return () => {
      visitorChat.stop();
      clearTimeout(typingTimer);
    };
  }, [session, onExpired]);

  // The wait line, while nobody has answered yet.
  useEffect(() => {
    if (answered || messages.length === 0) {
      setWait(undefined);
      return;
    }
    const ask = () => void waitLine(session.token).then(setWait, () => undefined);
    ask();
    const timer = setInterval(ask, 10_000);
    return () => clearInterval(timer);
  }, [answered, messages.length, session.token]);

  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [messages.length, outbox.length]);

  const send = (event: FormEvent) => {
    event.preventDefault();
    if (!draft.trim()) return;
    chat.current?.send(draft);
    setDraft("");
  };

  return (
    <>
      {!connected && (
        <p role="status" className="bg-amber-100 px-3 py-1 text-xs">
          {t("widget.reconnecting")}
        </p>
      )}
      {wait && (
        <p role="status" data-testid="wait-line" className="bg-slate-100 px-3 py-1 text-xs">
          {wait.ahead === 0 ? t("widget.next") : t("widget.ahead", { count: wait.ahead })} ·{" "}
          {wait.seconds === null
            ? t("widget.waitUnknown")
            : wait.seconds < 60
              ? t("widget.waitUnderMinute")
              : t("widget.waitMinutes", { minutes: Math.round(wait.seconds / 60) })}
        </p>
      )}
      <ol
        aria-label={t("widget.conversation")}
        aria-live="polite"
        className="flex-1 space-y-2 overflow-y-auto p-3"
      >
        {messages.map((m) => (
          <li
            key={m.index}
            data-testid="chat-message"
            className={`max-w-[80%] rounded-lg px-3 py-2 text-sm ${m.author === session.identity ? "ml-auto text-white" : "bg-slate-100"}`}
            style={m.author === session.identity ? { background: COLOR } : undefined}
          >
            {m.author !== session.identity && <div className="text-xs opacity-70">{m.author}</div>}
            <div className="whitespace-pre-wrap break-words">{m.body}</div>
            {m.media?.map((file) => (
              <a key={file.sid} href={file.url} target="_blank" rel="noreferrer" className="block underline">
                {file.filename ?? t("widget.attachment")}
              </a>
            ))}
          </li>
        ))}
        {outbox.map((m) => (
          <li
            key={m.clientId}
            className="ml-auto max-w-[80%] rounded-lg bg-slate-300 px-3 py-2 text-sm"
            aria-label={t("widget.sending")}
          >
            {m.body}
          </li>
        ))}
        <li ref={end} aria-hidden />
      </ol>
      <p className="h-4 px-3 text-xs text-slate-500" aria-live="polite">
        {typing ? t("conversation.typing", { name: typing }) : ""}
      </p>
      <form onSubmit={send} className="flex gap-2 border-t border-slate-200 p-2">
        <label htmlFor="visitor-message" className="sr-only">
          {t("widget.message")}
        </label>
        <input
          id="visitor-message"
          autoComplete="off"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            chat.current?.typing();
          }}
          placeholder={t("widget.placeholder")}
          className="flex-1 rounded border border-slate-300 px-2 py-1"
        />
        <button type="submit" className="rounded px-3 text-white" style={{ background: COLOR }}>
          {t("widget.send")}
        </button>
      </form>
    </>
  );
}

void startI18n(LANGUAGE).then(() =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <Widget />
    </StrictMode>,
  ),
);
