import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiFailure } from "./api.ts";
import { ErrorLine } from "../shared/ErrorLine.tsx";

/** The page an invite link opens: the token travels in the fragment, so it never reaches a log. */
export function AcceptInvite() {
  const { t } = useTranslation();
  const token = window.location.hash.slice(1);
  const [invite, setInvite] = useState<{ email: string; friendly_name: string } | undefined>();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<{ email: string; friendly_name: string }>(
      "GET",
      `/switchboard/v1/Invites/${encodeURIComponent(token)}`,
    ).then(
      (found) => {
        setInvite(found);
        setName(found.friendly_name);
      },
      (e: unknown) => setError(e instanceof ApiFailure ? e.message : String(e)),
    );
  }, [token]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await api("POST", `/switchboard/v1/Invites/${encodeURIComponent(token)}`, {
        Password: password,
        FriendlyName: name,
      });
      window.location.assign("/");
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e));
    }
  };
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-4 text-xl font-semibold">{t("invite.title")}</h1>
      {invite && (
        <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-3">
          <p className="text-sm text-slate-600">{t("invite.choosePassword", { email: invite.email })}</p>
          <label className="flex flex-col gap-1 text-sm">
            {t("invite.yourName")}
            <input
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <label className="flex flex-col gap-1 text-sm">
            {t("invite.password")}
            <input
              type="password"
              autoComplete="new-password"
              required
              minLength={10}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <button type="submit" className="rounded bg-blue-700 px-3 py-2 text-white">
            {t("invite.submit")}
          </button>
        </form>
      )}
      <ErrorLine error={error} />
    </main>
  );
}
