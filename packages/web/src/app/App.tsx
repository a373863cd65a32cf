import { useEffect, useState } from "react";
import { api, ApiFailure } from "./api.ts";
import { SignIn } from "./SignIn.tsx";
import { AcceptInvite } from "./AcceptInvite.tsx";
import { AgentDesktop } from "./agent/AgentDesktop.tsx";
import { SupervisorView } from "./supervisor/SupervisorView.tsx";
import { PeopleAdmin } from "./admin/PeopleAdmin.tsx";
import { Shell } from "./Shell.tsx";

export interface Me {
  sid: string;
  email: string;
  friendly_name: string;
  role: "admin" | "supervisor" | "agent";
  worker_sid: string | null;
}

/** Pages by path; the server serves this app at each of them. */
export function App() {
  const path = window.location.pathname;
  if (path === "/signin") return <SignIn />;
  if (path === "/invite") return <AcceptInvite />;
  return <SignedIn path={path} />;
}

function SignedIn({ path }: { path: string }) {
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<Me>("GET", "/switchboard/v1/Me").then(setMe, (e: unknown) =>
      setError(e instanceof ApiFailure ? e.message : String(e)),
    );
  }, []);
  if (error) return <p className="p-8 text-red-700">{error}</p>;
  if (!me) return <p className="p-8 text-slate-500">Loading…</p>;
  const page = path === "/" ? (me.role === "agent" || me.worker_sid ? "/agent" : "/supervisor") : path;
  return (
    <Shell me={me} page={page}>
      {page === "/agent" && <AgentDesktop me={me} />}
      {page === "/supervisor" && <SupervisorView me={me} />}
      {page === "/admin" && <PeopleAdmin />}
    </Shell>
  );
}
