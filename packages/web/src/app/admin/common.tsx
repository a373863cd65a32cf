import { useCallback, useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiFailure } from "../api.ts";

/** The message to show for a failed call. */
export function failureText(e: unknown): string {
  return e instanceof ApiFailure ? e.message : String(e);
}

/**
 * A list from one of the Twilio-shaped collections (`{ <key>: [...], meta }`), re-read on demand.
 * Admin lists are short (activities, queues, workflows): one page of up to 1,000 is the whole list.
 */
export function useList<T>(path: string | undefined, key: string) {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState<string | undefined>();
  const reload = useCallback(async () => {
    if (!path) return;
    try {
      const separator = path.includes("?") ? "&" : "?";
      const page = await api<Record<string, T[]>>("GET", `${path}${separator}PageSize=1000`);
      setItems(page[key] ?? []);
      setError(undefined);
    } catch (e) {
      setError(failureText(e));
    }
  }, [path, key]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { items, reload, error };
}

/** Runs a change, shows what went wrong, and re-reads afterwards. */
export function useAttempt(after: () => Promise<unknown> | void) {
  const [error, setError] = useState<string | undefined>();
  const attempt = async (work: () => Promise<unknown>): Promise<boolean> => {
    setError(undefined);
    try {
      await work();
      await after();
      return true;
    } catch (e) {
      setError(failureText(e));
      return false;
    }
  };
  return { error, setError, attempt };
}

export function Panel({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title} className="rounded border border-slate-200 bg-white p-4">
      <h2 className="mb-3 font-semibold">{title}</h2>
      {children}
    </section>
  );
}

export const inputClass = "rounded border border-slate-300 px-2 py-1";
export const buttonClass = "rounded bg-blue-700 px-3 py-1 text-sm text-white disabled:opacity-50";
export const quietButtonClass = "rounded bg-slate-200 px-3 py-1 text-sm disabled:opacity-50";

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="flex flex-col gap-1 text-sm">
      {label}
      {children}
    </label>
  );
}

/** Text that must parse as JSON: says so under the field while it does not. */
export function jsonProblem(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Debounces a value: what it was once it stopped changing for `ms`. */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Deletes a resource by its path (through `attempt`, so a refusal shows and the list is re-read). */
export function DeleteButton({
  path,
  attempt,
  label,
}: {
  path: string;
  attempt: (work: () => Promise<unknown>) => Promise<boolean>;
  label?: string;
}) {
  const { t } = useTranslation();
  return (
    <button
      type="button"
      onClick={() => void attempt(() => api("DELETE", path))}
      className="text-red-700 underline"
    >
      {label ?? t("common.delete")}
    </button>
  );
}
