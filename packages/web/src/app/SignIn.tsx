import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiFailure } from "./api.ts";
import { ErrorLine } from "../shared/ErrorLine.tsx";

export function SignIn() {
  const { t } = useTranslation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api("POST", "/switchboard/v1/SignIn", { Email: email, Password: password });
      const next = new URLSearchParams(window.location.search).get("next");
      window.location.assign(next?.startsWith("/") ? next : "/");
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-4 text-xl font-semibold">{t("signIn.title")}</h1>
      <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-3">
        <label className="flex flex-col gap-1 text-sm">
          {t("common.email")}
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            className="rounded border border-slate-300 px-2 py-1"
          />
        </label>
        <label className="flex flex-col gap-1 text-sm">
          {t("signIn.password")}
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            className="rounded border border-slate-300 px-2 py-1"
          />
        </label>
        <ErrorLine error={error} />
        <button
          type="submit"
          disabled={busy}
          className="rounded bg-blue-700 px-3 py-2 text-white disabled:opacity-50"
        >
          {t("signIn.submit")}
        </button>
      </form>
    </main>
  );
}
