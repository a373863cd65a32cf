import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { LANGUAGES, switchLanguage, type Language } from "../i18n/index.ts";
import { api } from "./api.ts";
import { REMEMBERED_LANGUAGE, type Me } from "./App.tsx";

/** The header every signed-in page shares: where you can go, who you are, your language, signing out. */
export function Shell({
  me,
  page,
  onChange,
  children,
}: {
  me: Me;
  page: string;
  onChange: (me: Me) => void;
  children: ReactNode;
}) {
  const { t, i18n } = useTranslation();
  const links = [
    ...(me.worker_sid ? [{ href: "/agent", label: t("shell.desktop") }] : []),
    ...(me.role !== "agent" ? [{ href: "/supervisor", label: t("shell.supervisor") }] : []),
    ...(me.role !== "agent" ? [{ href: "/insights", label: t("shell.insights") }] : []),
    ...(me.role === "admin" ? [{ href: "/admin", label: t("shell.admin") }] : []),
  ];
  const section = `/${page.split("/")[1]}`;
  const signOut = async () => {
    await api("POST", "/switchboard/v1/SignOut");
    window.location.assign("/signin");
  };
  const chooseLanguage = async (language: Language) => {
    const updated = await api<Me>("POST", "/switchboard/v1/Me", { Language: language });
    localStorage.setItem(REMEMBERED_LANGUAGE, language);
    await switchLanguage(language);
    onChange(updated);
  };
  return (
    <div className="flex h-screen flex-col">
      <header className="flex items-center gap-6 border-b border-slate-200 bg-white px-4 py-2">
        <span className="font-semibold">Switchboard</span>
        <nav aria-label={t("shell.main")} className="flex gap-4">
          {links.map((l) => (
            <a
              key={l.href}
              href={l.href}
              aria-current={section === l.href ? "page" : undefined}
              className={
                section === l.href ? "font-medium text-blue-700" : "text-slate-600 hover:text-slate-900"
              }
            >
              {l.label}
            </a>
          ))}
        </nav>
        <span className="ml-auto text-sm text-slate-600">
          {me.friendly_name} ({t(`roles.${me.role}`)})
        </span>
        <label className="text-sm text-slate-600">
          <span className="sr-only">{t("shell.language")}</span>
          <select
            aria-label={t("shell.language")}
            value={i18n.language}
            onChange={(e) => void chooseLanguage(e.target.value as Language)}
            className="rounded border border-slate-300 px-1 py-0.5"
          >
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void signOut()} className="text-sm text-slate-600 underline">
          {t("shell.signOut")}
        </button>
      </header>
      <main className="min-h-0 flex-1">{children}</main>
    </div>
  );
}
