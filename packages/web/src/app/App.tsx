import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { chooseLanguage, switchLanguage } from "../i18n/index.ts";
import { api, ApiFailure } from "./api.ts";
import { SignIn } from "./SignIn.tsx";
import { AcceptInvite } from "./AcceptInvite.tsx";
import { AgentDesktop } from "./agent/AgentDesktop.tsx";
import { SupervisorView } from "./supervisor/SupervisorView.tsx";
import { AdminConsole } from "./admin/AdminConsole.tsx";
import { InsightsView } from "./insights/InsightsView.tsx";
import { Shell } from "./Shell.tsx";

export interface Me {
  sid: string;
  account_sid: string;
  email: string;
  friendly_name: string;
  role: "admin" | "supervisor" | "agent";
  worker_sid: string | null;
  workspace_sid: string | null;
  /** null: the browser's language. */
  language: string | null;
}

/** Where the last signed-in page's language is kept, so the next page load starts in it. */
export const REMEMBERED_LANGUAGE = "switchboard.language";

/** Pages by path; the server serves this app at each of them. */
export function App() {
  const path = window.location.pathname;
  if (path === "/signin") return <SignIn />;
  if (path === "/invite") return <AcceptInvite />;
  return <SignedIn path={path} />;
}

function SignedIn({ path }: { path: string }) {
  const { t } = useTranslation();
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<Me>("GET", "/switchboard/v1/Me").then(
      async (found) => {
        const language = chooseLanguage(found.language);
        localStorage.setItem(REMEMBERED_LANGUAGE, language);
        await switchLanguage(language);
        setMe(found);
      },
      (e: unknown) => setError(e instanceof ApiFailure ? e.message : String(e)),
    );
  }, []);
  if (error) return <p className="p-8 text-red-700">{error}</p>;
  if (!me) return <p className="p-8 text-slate-500">{t("common.loading")}</p>;
  const page = path === "/" ? (me.role === "agent" || me.worker_sid ? "/agent" : "/supervisor") : path;
  const section = page.split("/")[1];
  return (
    <Shell me={me} page={page} onChange={setMe}>
      {section === "agent" && <AgentDesktop me={me} />}
      {section === "supervisor" && <SupervisorView me={me} />}
      {section === "admin" && <AdminConsole me={me} path={page} />}
      {section === "insights" && me.role !== "agent" && <InsightsView me={me} />}
    </Shell>
  );
}
