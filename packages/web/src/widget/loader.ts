/**
 * widget.js: the one script a site adds to get web chat.
 *
 *   <script src="https://switchboard.example.com/widget.js" data-account="AC…" data-address="web-chat"
 *     data-title="Chat with us" data-color="#1d4ed8" data-fields="email,topic" data-language="fr"></script>
 *
 * It adds a launcher button and, when opened, an iframe with the chat served by the Switchboard
 * server, so the site's styles and scripts never touch the chat and the session lives with the
 * server's origin. It imports nothing, so it runs from a plain script tag — which is why its few
 * words are here rather than in the app's catalogs (src/i18n); the chat itself speaks from those.
 */
const LAUNCHER_WORDS = {
  en: { title: "Chat with us", label: "Chat", open: "Open chat", close: "Close chat" },
  fr: { title: "Discutons", label: "Discuter", open: "Ouvrir la discussion", close: "Fermer la discussion" },
};
(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script) return;
  const origin = new URL(script.src).origin;
  const data = script.dataset;
  const color = /^#[0-9a-fA-F]{3,8}$/.test(data.color ?? "") ? data.color! : "#1d4ed8";
  // The site's choice (data-language), else the visitor's browser.
  const language = (data.language ?? navigator.language).toLowerCase().startsWith("fr") ? "fr" : "en";
  const words = LAUNCHER_WORDS[language];
  const params = new URLSearchParams({
    account: data.account ?? "",
    address: data.address ?? "",
    ...(data.title && { title: data.title }),
    language,
    color,
    fields: data.fields ?? "",
  });

  const button = document.createElement("button");
  button.type = "button";
  button.textContent = data.label ?? words.label;
  button.setAttribute("aria-label", words.open);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "switchboard-chat");
  Object.assign(button.style, {
    position: "fixed",
    right: "20px",
    bottom: "20px",
    zIndex: "2147483646",
    padding: "12px 20px",
    borderRadius: "999px",
    border: "none",
    background: color,
    color: "#fff",
    font: "600 15px system-ui, sans-serif",
    cursor: "pointer",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)",
  });

  const frame = document.createElement("iframe");
  frame.id = "switchboard-chat";
  frame.title = data.title ?? words.title;
  frame.src = `${origin}/widget/frame.html?${params.toString()}`;
  Object.assign(frame.style, {
    position: "fixed",
    right: "20px",
    bottom: "80px",
    width: "min(380px, calc(100vw - 40px))",
    height: "min(560px, calc(100vh - 120px))",
    border: "1px solid #e2e8f0",
    borderRadius: "12px",
    boxShadow: "0 8px 30px rgba(0,0,0,.2)",
    zIndex: "2147483647",
    background: "#fff",
    display: "none",
  });

  // The chat stays open across page loads when it was open.
  const openKey = `switchboard-chat-open:${params.get("account")}:${params.get("address")}`;
  const setOpen = (open: boolean) => {
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", open ? words.close : words.open);
    try {
      sessionStorage.setItem(openKey, open ? "1" : "");
    } catch {
      // Storage may be off; the chat still works.
    }
  };
  button.addEventListener("click", () => setOpen(frame.style.display === "none"));
  const attach = () => {
    document.body.append(frame, button);
    let wasOpen = false;
    try {
      wasOpen = sessionStorage.getItem(openKey) === "1";
    } catch {
      // as above
    }
    setOpen(wasOpen);
  };
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach);
})();
