import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../styles.css";
import { chooseLanguage, startI18n } from "../i18n/index.ts";
import { App, REMEMBERED_LANGUAGE } from "./App.tsx";

// The language remembered from the last signed-in page, until the person's setting arrives.
void startI18n(chooseLanguage(localStorage.getItem(REMEMBERED_LANGUAGE))).then(() =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
