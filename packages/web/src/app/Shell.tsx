import type { ReactNode } from "react";
import { api } from "./api.ts";
import type { Me } from "./App.tsx";

/** The header every signed-in page shares: where you can go, who you are, signing out. */
export function Shell({ me, page, children }: { me: Me; page: string; children: ReactNode }) {
  const links = [
    ...(me.worker_sid ? [{ href: "/agent", label: "Desktop" }] : []),
    ...(me.role !== "agent" ? [{ href: "/supervisor", label: "Supervisor" }] : []),
    ...(me.role === "admin" ? [{ href: "/admin", label: "People" }] : []),
  ];
  const signOut = async () => {
    await api("POST", "/switchboard/v1/SignOut");
    window.location.assign("/signin");
  };
  return (
    <div className="flex h-screen flex-col">
      <header className="flex items-center gap-6 border-b border-slate-200 bg-white px-4 py-2">
        <span className="font-semibold">Switchboard</span>
        <nav aria-label="Main" className="flex gap-4">
          {links.map((l) => (
            <a
              key={l.href}
              href={l.href}
              aria-current={page === l.href ? "page" : undefined}
              className={
                page === l.href ? "font-medium text-blue-700" : "text-slate-600 hover:text-slate-900"
              }
            >
              {l.label}
            </a>
          ))}
        </nav>
        <span className="ml-auto text-sm text-slate-600">
          {me.friendly_name} ({me.role})
        </span>
        <button type="button" onClick={() => void signOut()} className="text-sm text-slate-600 underline">
          Sign out
        </button>
      </header>
      <main className="min-h-0 flex-1">{children}</main>
    </div>
  );
}
