import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import { en } from "./en.ts";
import { fr } from "./fr.ts";

/** The languages the web apps speak, by their own names (what a language picker shows). */
export const LANGUAGES = { en: "English", fr: "Français" } as const;
export type Language = keyof typeof LANGUAGES;

declare module "i18next" {
  interface CustomTypeOptions {
    // Every t("…") key is checked against the English catalog at compile time.
    resources: { translation: typeof en };
    // Catalogs hold strings only: t() always returns a string.
    returnNull: false;
  }
}

/**
 * The language to speak: the person's setting when they chose one, else the first of the browser's
 * languages we have, else English.
 */
export function chooseLanguage(setting: string | null | undefined, browser = navigator.languages): Language {
  const candidates = [setting, ...browser].filter((l): l is string => !!l);
  for (const candidate of candidates) {
    const base = candidate.toLowerCase().split("-")[0]!;
    if (base in LANGUAGES) return base as Language;
  }
  return "en";
}

/** Starts i18next with both catalogs; call once, before the first render. */
export async function startI18n(language: Language): Promise<void> {
  await i18next.use(initReactI18next).init({
    lng: language,
    fallbackLng: "en",
    resources: { en: { translation: en }, fr: { translation: fr } },
    // React escapes what it renders.
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = language;
}

export async function switchLanguage(language: Language): Promise<void> {
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
}
