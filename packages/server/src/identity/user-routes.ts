import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { invalidParameter, notFound } from "../platform/errors.ts";
import { limitPerClient } from "../platform/http/client-limits.ts";
import { origin } from "../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import { iso8601, isoAt } from "../platform/time.ts";
import { SESSION_COOKIE } from "./authenticate.ts";
import { LANGUAGES, ROLES, type Invite, type SignedIn, type User, type UserStore } from "./users.ts";

const USERS = `${API_PREFIX}/Users`;
const INVITES = `${API_PREFIX}/Invites`;
/** Where an invite link leads: the web app's page that sets a password. */
const INVITE_PAGE = "/invite";

const userFields = {
  FriendlyName: z.string().min(1).max(255),
  Role: z.enum(ROLES),
  WorkspaceSid: z.string().regex(/^WS[0-9a-f]{32}$/, "expected a workspace SID"),
  WorkerSid: z.string().regex(/^WK[0-9a-f]{32}$/, "expected a worker SID"),
  /** Empty: follow the browser's language. */
  Language: z.union([z.enum(LANGUAGES), z.literal("")]),
};

/**
 * Signing in and out (open: the session cookie is what they hand out), accepting invites, and the
 * signed-in person's own record. The session cookie is HttpOnly and SameSite=Strict; requests it
 * authenticates must also come from our own pages (see authenticate.ts).
 */
export async function signInRoutes(
  open: HttpServer,
  users: UserStore,
  signInsPerMinute: number,
): Promise<void> {
  await open.register(async (scope: HttpServer) => {
    await limitPerClient(scope, signInsPerMinute, 60_000);
    scope.post(
      `${API_PREFIX}/SignIn`,
      {
        schema: {
          tags: ["People"],
          summary: "Sign in with email and password; sets the session cookie",
          body: z.object({ Email: z.string().max(254), Password: z.string().max(1024) }),
        },
      },
      async (request, reply) => {
        const signedIn = await users.signIn(request.body.Email, request.body.Password);
        return sendSignedIn(request, reply, signedIn);
      },
    );
    scope.post(
      `${INVITES}/:Token`,
      {
        schema: {
          tags: ["People"],
          summary: "Accept an invite: set a password (and name) and sign in",
          params: z.object({ Token: z.string().max(128) }),
          body: z.object({
            Password: z.string().max(1024),
            FriendlyName: userFields.FriendlyName.optional(),
          }),
        },
      },
      async (request, reply) => {
        const signedIn = await users.acceptInvite(
          request.params.Token,
          request.body.Password,
          request.body.FriendlyName,
        );
        return sendSignedIn(request, reply, signedIn);
      },
    );
    scope.get(
      `${INVITES}/:Token`,
      {
        schema: {
          tags: ["People"],
          summary: "Who an invite is for, to greet them on the accept page",
          params: z.object({ Token: z.string().max(128) }),
        },
      },
      async (request) => {
        const user = await users.invited(request.params.Token);
        if (!user) throw notFound("This invite is unknown, used or expired; ask an admin for a new one");
        return { email: user.email, friendly_name: user.friendlyName, role: user.role };
      },
    );
  });

  open.post(
    `${API_PREFIX}/SignOut`,
    { schema: { tags: ["People"], summary: "End this browser's session" } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await users.signOut(token);
      return reply.clearCookie(SESSION_COOKIE, { path: "/" }).code(204).send();
    },
  );
}

/** The signed-in person's record, and (for admins) everyone's. */
export function userRoutes(api: HttpServer, users: UserStore): void {
  api.get(
    `${API_PREFIX}/Me`,
    { config: { access: "agent" }, schema: { tags: ["People"], summary: "The signed-in person" } },
    (request) => {
      const { user } = request.principal;
      if (!user) throw invalidParameter("Me names a signed-in person; account credentials have none");
      return userJson(user);
    },
  );
  api.post(
    `${API_PREFIX}/Me`,
    {
      config: { access: "agent" },
      schema: {
        tags: ["People"],
        summary: "Change the signed-in person's own name or language",
        body: z.object({
          FriendlyName: userFields.FriendlyName.optional(),
          Language: userFields.Language.optional(),
        }),
      },
    },
    async (request) => {
      const { user } = request.principal;
      if (!user) throw invalidParameter("Me names a signed-in person; account credentials have none");
      const { FriendlyName, Language } = request.body;
      return userJson(
        await users.update(user.accountSid, user.sid, {
          ...(FriendlyName !== undefined && { friendlyName: FriendlyName }),
          ...(Language !== undefined && { language: Language || null }),
        }),
      );
    },
  );

  const admin = { access: "admin" } as const;
  const userParams = z.object({ Sid: z.string() });
  const found = async (request: FastifyRequest) => {
    // Every route using this declares Sid in its params schema.
    const { Sid } = request.params as { Sid: string };
    const user = await users.get(request.principal.accountSid, Sid);
    if (!user) throw notFound(`The requested resource User ${Sid} was not found`);
    return user;
  };

  api.get(
    USERS,
    { config: admin, schema: { tags: ["People"], summary: "List the people who sign in to this account" } },
    async (request) => ({ users: (await users.list(request.principal.accountSid)).map(userJson) }),
  );
  api.post(
    USERS,
    {
      config: admin,
      schema: {
        tags: ["People"],
        summary: "Invite a person (or create them with a password); the invite link is returned this once",
        body: z.object({
          Email: z.string().max(254),
          FriendlyName: userFields.FriendlyName,
          Role: userFields.Role,
          WorkspaceSid: userFields.WorkspaceSid.optional(),
          WorkerSid: userFields.WorkerSid.optional(),
          Password: z.string().max(1024).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { Email, FriendlyName, Role, WorkspaceSid, WorkerSid, Password } = request.body;
      if ((WorkerSid === undefined) !== (WorkspaceSid === undefined))
        throw invalidParameter("WorkerSid and WorkspaceSid go together");
      const { user, invite } = await users.create(request.principal.accountSid, {
        email: Email,
        friendlyName: FriendlyName,
        role: Role,
        workspaceSid: WorkspaceSid ?? null,
        workerSid: WorkerSid ?? null,
        ...(Password !== undefined && { password: Password }),
      });
      return reply.code(201).send({ ...userJson(user), ...(invite && inviteJson(request, invite)) });
    },
  );
  api.get(
    `${USERS}/:Sid`,
    { config: admin, schema: { tags: ["People"], summary: "Fetch a person", params: userParams } },
    async (request) => userJson(await found(request)),
  );
  api.post(
    `${USERS}/:Sid`,
    {
      config: admin,
      schema: {
        tags: ["People"],
        summary: "Change a person's name, role or worker, or deactivate them (their sessions end at once)",
        params: userParams,
        body: z.object({
          FriendlyName: userFields.FriendlyName.optional(),
          Role: userFields.Role.optional(),
          WorkspaceSid: z.union([userFields.WorkspaceSid, z.literal("")]).optional(),
          WorkerSid: z.union([userFields.WorkerSid, z.literal("")]).optional(),
          Status: z.enum(["active", "deactivated"]).optional(),
          Language: userFields.Language.optional(),
        }),
      },
    },
    async (request) => {
      const { FriendlyName, Role, WorkspaceSid, WorkerSid, Status, Language } = request.body;
      const user = await users.update(request.principal.accountSid, request.params.Sid, {
        ...(FriendlyName !== undefined && { friendlyName: FriendlyName }),
        ...(Role !== undefined && { role: Role }),
        ...(WorkspaceSid !== undefined && { workspaceSid: WorkspaceSid || null }),
        ...(WorkerSid !== undefined && { workerSid: WorkerSid || null }),
        ...(Status !== undefined && { status: Status }),
        ...(Language !== undefined && { language: Language || null }),
      });
      return userJson(user);
    },
  );
  api.post(
    `${USERS}/:Sid/Invite`,
    {
      config: admin,
      schema: {
        tags: ["People"],
        summary: "A fresh invite link (for a new person, or a forgotten password)",
        params: userParams,
      },
    },
    async (request, reply) => {
      const { user, invite } = await users.reinvite(request.principal.accountSid, request.params.Sid);
      return reply.code(201).send({ ...userJson(user), ...inviteJson(request, invite) });
    },
  );
}

function sendSignedIn(request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn) {
  return reply
    .setCookie(SESSION_COOKIE, signedIn.token, {
      path: "/",
      httpOnly: true,
      sameSite: "strict",
      secure: request.protocol === "https",
      expires: new Date(signedIn.expiresAt),
    })
    .send({ ...userJson(signedIn.user), session_expires: iso8601(isoAt(signedIn.expiresAt)) });
}

function inviteJson(request: FastifyRequest, invite: Invite) {
  return {
    invite_url: `${origin(request)}${INVITE_PAGE}#${invite.token}`,
    invite_expires: iso8601(isoAt(invite.expiresAt)),
  };
}

export function userJson(user: User) {
  return {
    sid: user.sid,
    account_sid: user.accountSid,
    email: user.email,
    friendly_name: user.friendlyName,
    role: user.role,
    workspace_sid: user.workspaceSid,
    worker_sid: user.workerSid,
    status: user.status,
    language: user.language,
    date_created: iso8601(user.dateCreated),
    date_updated: iso8601(user.dateUpdated),
  };
}
