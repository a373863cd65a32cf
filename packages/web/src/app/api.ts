/** An error the server answered with (Twilio's error body), or a network failure (status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    /** What the error body says beyond its message (a flow's validation errors, for one). */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Body = Record<string, string | string[] | undefined>;

/**
 * Calls the server's API with the session cookie. Bodies go form-encoded, as Twilio's API takes
 * them; JSON answers come back parsed. A 401 sends the person to the sign-in page.
 */
export async function api<T>(
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: Body | object,
  json = false,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body
        ? { "Content-Type": json ? "application/json" : "application/x-www-form-urlencoded" }
        : {},
      body: body ? (json ? JSON.stringify(body) : form(body as Body)) : null,
    });
  } catch {
    throw new ApiFailure(0, 0, "The server cannot be reached");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (parsed ?? {}) as { code?: number; message?: string; details?: unknown };
    if (response.status === 401 && !path.endsWith("/SignIn")) {
      window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname)}`);
    }
    throw new ApiFailure(
      response.status,
      error.code ?? 0,
      error.message ?? response.statusText,
      error.details,
    );
  }
  return parsed as T;
}

export async function upload(path: string, file: File): Promise<{ sid: string }> {
  const response = await fetch(`${path}?Filename=${encodeURIComponent(file.name)}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": file.type || "application/octet-stream" },
    body: file,
  });
  const parsed = (await response.json()) as { sid: string; message?: string; code?: number };
  if (!response.ok)
    throw new ApiFailure(response.status, parsed.code ?? 0, parsed.message ?? "Upload failed");
  return parsed;
}

function form(body: Body): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    for (const item of [value].flat()) params.append(key, item);
  }
  return params;
}

export const DESKTOP = "/switchboard/v1/Desktop";
