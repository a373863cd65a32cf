import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, ApiFailure } from "../api.ts";
import { ErrorLine } from "../../shared/ErrorLine.tsx";

interface Person {
  sid: string;
  email: string;
  friendly_name: string;
  role: string;
  status: string;
  worker_sid: string | null;
}

/** Admins invite people (an invite link to pass on), and deactivate them (their sessions end at once). */
export function PeopleAdmin() {
  const [people, setPeople] = useState<Person[]>([]);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState("agent");
  const [workspaceSid, setWorkspaceSid] = useState("");
  const [workerSid, setWorkerSid] = useState("");
  const [workers, setWorkers] = useState<Array<{ sid: string; friendly_name: string }>>([]);
  const [invite, setInvite] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(async () => {
    setPeople((await api<{ users: Person[] }>("GET", "/switchboard/v1/Users")).users);
  }, []);
  useEffect(() => {
    void load();
    void api<{ workspace: { sid: string }; workers: Array<{ sid: string; friendly_name: string }> }>(
      "GET",
      "/switchboard/v1/Desktop",
    ).then((d) => {
      setWorkspaceSid(d.workspace.sid);
      setWorkers(d.workers);
    });
  }, [load]);

  const attempt = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      await load();
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e));
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      const created = await api<{ invite_url: string }>("POST", "/switchboard/v1/Users", {
        Email: email,
        FriendlyName: name,
        Role: role,
        ...(workerSid && { WorkerSid: workerSid, WorkspaceSid: workspaceSid }),
      });
      setInvite(created.invite_url);
      setEmail("");
      setName("");
    });
  };

  return (
    <div className="mx-auto flex max-w-4xl flex-col gap-6 p-6">
      <section aria-label="Invite someone" className="rounded border border-slate-200 bg-white p-4">
        <h2 className="mb-2 font-semibold">Invite someone</h2>
        <form onSubmit={submit} className="grid grid-cols-2 gap-3 text-sm">
          <label className="flex flex-col gap-1">
            Email
            <input
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <label className="flex flex-col gap-1">
            Name
            <input
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            />
          </label>
          <label className="flex flex-col gap-1">
            Role
            <select
              value={role}
              onChange={(e) => setRole(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            >
              <option value="agent">Agent</option>
              <option value="supervisor">Supervisor</option>
              <option value="admin">Admin</option>
            </select>
          </label>
          <label className="flex flex-col gap-1">
            Works as (TaskRouter worker)
            <select
              value={workerSid}
              onChange={(e) => setWorkerSid(e.target.value)}
              className="rounded border border-slate-300 px-2 py-1"
            >
              <option value="">No worker</option>
              {workers.map((w) => (
                <option key={w.sid} value={w.sid}>
                  {w.friendly_name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="col-span-2 rounded bg-blue-700 px-3 py-2 text-white">
            Invite
          </button>
        </form>
        {invite && (
          <p role="status" className="mt-3 text-sm">
            Send them this link (valid 7 days): <code className="break-all">{invite}</code>
          </p>
        )}
        <ErrorLine error={error} />
      </section>
      <section aria-label="People">
        <h2 className="mb-2 font-semibold">People</h2>
        <table className="w-full bg-white text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th scope="col" className="p-2">
                Name
              </th>
              <th scope="col" className="p-2">
                Email
              </th>
              <th scope="col" className="p-2">
                Role
              </th>
              <th scope="col" className="p-2">
                Status
              </th>
              <th scope="col" className="p-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {people.map((p) => (
              <tr key={p.sid} className="border-t border-slate-100">
                <td className="p-2">{p.friendly_name}</td>
                <td className="p-2">{p.email}</td>
                <td className="p-2">{p.role}</td>
                <td className="p-2">{p.status}</td>
                <td className="p-2 text-right">
                  {p.status === "deactivated" ? (
                    <button
                      type="button"
                      className="underline"
                      onClick={() =>
                        void attempt(() =>
                          api("POST", `/switchboard/v1/Users/${p.sid}`, { Status: "active" }),
                        )
                      }
                    >
                      Reactivate {p.friendly_name}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="text-red-700 underline"
                      onClick={() =>
                        void attempt(() =>
                          api("POST", `/switchboard/v1/Users/${p.sid}`, { Status: "deactivated" }),
                        )
                      }
                    >
                      Deactivate {p.friendly_name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
