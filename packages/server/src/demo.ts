import type { Switchboard } from "./app.ts";
import { autoCreation } from "./conversations/addresses.ts";
import type { RoutingCommand } from "./routing/commands.ts";
import type { RoutingService, WorkspaceEntry } from "./routing/service.ts";

/** What `npm start` prints so a person can try the demo contact center at once. */
export interface DemoContactCenter {
  accountSid: string;
  authToken: string;
  workspaceSid: string;
  workflowSid: string;
  availableActivitySid: string;
  agents: Array<{ name: string; sid: string; skills: string[] }>;
  /** People who sign in to the web apps, all with DEMO_PASSWORD. */
  people: Array<{ email: string; role: string }>;
  /** The web chat address the demo widget writes to. */
  chatAddress: string;
}

/** Every demo person's password; the demo is for trying Switchboard out, so it is printed. */
export const DEMO_PASSWORD = "switchboard-demo";
const DEMO_DOMAIN = "switchboard.demo";
const CHAT_ADDRESS = "demo-web-chat";

const WORKSPACE_NAME = "Demo contact center";

const QUEUES = [
  { name: "Sales", targetWorkers: "skills HAS 'sales'" },
  { name: "Support", targetWorkers: "skills HAS 'support'" },
  { name: "Billing", targetWorkers: "skills HAS 'billing'" },
  { name: "Spanish", targetWorkers: "languages HAS 'es'" },
  { name: "Everyone", targetWorkers: "1==1" },
] as const;

const AGENTS = [
  { name: "alice", skills: ["sales", "support"], languages: ["en"], level: 3 },
  { name: "bob", skills: ["support", "billing"], languages: ["en"], level: 2 },
  { name: "carmen", skills: ["support", "sales"], languages: ["es", "en"], level: 2 },
  { name: "dmitri", skills: ["billing"], languages: ["en", "ru"], level: 1 },
  { name: "erin", skills: ["sales", "support", "billing"], languages: ["en", "es"], level: 3 },
];

/**
 * The demo contact center that `npm start` brings up: an account to try the API with and a routing
 * workspace ready for agents. Made on the first start and found again on later ones.
 */
export async function ensureDemo(switchboard: Switchboard): Promise<DemoContactCenter> {
  const credentials = await demoAccount(switchboard);
  const entry =
    switchboard.routing
      .list(credentials.accountSid)
      .find((e) => e.workspace.friendlyName === WORKSPACE_NAME) ??
    (await seedWorkspace(switchboard.routing, credentials.accountSid));
  const people = await seedPeople(switchboard, credentials.accountSid, entry);
  await seedWebChat(switchboard, credentials.accountSid, entry);
  return { ...credentials, ...describe(entry), people, chatAddress: CHAT_ADDRESS };
}

/**
 * An admin, a supervisor (Grace) and one agent per demo worker, made once; and the desktop's canned
 * responses and disposition codes.
 */
async function seedPeople(switchboard: Switchboard, accountSid: string, entry: WorkspaceEntry) {
  const workers = entry.router.routing.allWorkers();
  const wanted = [
    { email: `admin@${DEMO_DOMAIN}`, friendlyName: "Admin", role: "admin" as const },
    { email: `grace@${DEMO_DOMAIN}`, friendlyName: "Grace", role: "supervisor" as const },
    ...workers.map((w) => ({
      email: `${w.friendlyName}@${DEMO_DOMAIN}`,
      friendlyName: w.friendlyName.charAt(0).toUpperCase() + w.friendlyName.slice(1),
      role: "agent" as const,
      workspaceSid: entry.workspace.sid,
      workerSid: w.sid,
    })),
  ];
  if ((await switchboard.users.list(accountSid)).length === 0) {
    for (const person of wanted)
      await switchboard.users.create(accountSid, { ...person, password: DEMO_PASSWORD });
    await switchboard.desktopSettings.put(accountSid, {
      canned_responses: [
        { title: "Greeting", body: "Hello! Thanks for reaching out. How can I help you today?" },
        { title: "One moment", body: "Thanks — let me look into that for you. One moment please." },
        { title: "Anything else", body: "Is there anything else I can help you with?" },
        { title: "Goodbye", body: "Thanks for contacting us. Have a great day!" },
      ],
      disposition_codes: ["Resolved", "Follow-up needed", "Escalated", "Customer left"],
      crm_url_template: "",
      plugins: [],
    });
  }
  return wanted.map(({ email, role }) => ({ email, role }));
}

/** The web chat address the demo widget uses, routed straight to the skills workflow. */
async function seedWebChat(switchboard: Switchboard, accountSid: string, entry: WorkspaceEntry) {
  if (await switchboard.addresses.find(accountSid, "chat", CHAT_ADDRESS)) return;
  const workflow = [...entry.router.catalog.workflows.values()][0];
  await switchboard.addresses.create(accountSid, {
    type: "chat",
    address: CHAT_ADDRESS,
    friendlyName: "Demo web chat",
    autoCreation: autoCreation({
      workspace_sid: entry.workspace.sid,
      workflow_sid: workflow?.record.sid ?? null,
      task_channel: "chat",
    }),
  });
}

async function demoAccount(switchboard: Switchboard): Promise<{ accountSid: string; authToken: string }> {
  const existing = await switchboard.accounts.demo();
  if (existing) {
    const authToken = await switchboard.accounts.authToken(existing.sid);
    if (authToken !== undefined) return { accountSid: existing.sid, authToken };
  }
  const created = await switchboard.accounts.create({ friendlyName: WORKSPACE_NAME, isDemo: true });
  return { accountSid: created.sid, authToken: created.authToken };
}

/**
 * Activities Offline / Available / Unavailable / Break / Wrap-up; the standard channels; five queues;
 * a skills workflow that escalates to wider queues when no one answers; five agents, offline until
 * they log in, taking up to three chats at once but no voice call while on two chats.
 */
async function seedWorkspace(routing: RoutingService, accountSid: string): Promise<WorkspaceEntry> {
  const entry = await routing.create(accountSid, { friendlyName: WORKSPACE_NAME });
  const { router } = entry;
  const queueSids = Object.fromEntries(QUEUES.map((q) => [q.name, router.nextSid("WQ")])) as Record<
    (typeof QUEUES)[number]["name"],
    string
  >;
  const step = (queue: keyof typeof queueSids, timeout?: number, expression?: string) => ({
    queue: queueSids[queue],
    ...(timeout !== undefined ? { timeout } : {}),
    ...(expression !== undefined ? { expression } : {}),
  });
  const configuration = {
    task_routing: {
      filters: [
        {
          filter_friendly_name: "Spanish speakers",
          expression: "language == 'es'",
          targets: [step("Spanish", 60), step("Everyone")],
        },
        {
          filter_friendly_name: "Sales",
          expression: "type == 'sales'",
          // Senior sellers first for big deals, then any seller, then anyone.
          targets: [step("Sales", 30, "worker.level >= 3"), step("Sales", 90), step("Everyone")],
        },
        {
          filter_friendly_name: "Billing",
          expression: "type == 'billing'",
          targets: [step("Billing", 120), step("Everyone")],
        },
        {
          filter_friendly_name: "Support",
          expression: "type == 'support'",
          targets: [step("Support", 120), step("Everyone")],
        },
      ],
      default_filter: { queue: queueSids.Everyone },
    },
  };
  const commands: RoutingCommand[] = [
    { op: "putActivity", activity: { sid: router.nextSid("WA"), friendlyName: "Break", available: false } },
    { op: "putActivity", activity: { sid: router.nextSid("WA"), friendlyName: "Wrap-up", available: false } },
    { op: "updateSettings", settings: { channelRules: [{ channel: "voice", whileOn: "chat", atLeast: 2 }] } },
    ...QUEUES.map((q): RoutingCommand => ({
      op: "putQueue",
      queue: {
        sid: queueSids[q.name],
        friendlyName: q.name,
        targetWorkers: q.targetWorkers,
        maxReservedWorkers: 1,
        taskOrder: "FIFO",
        reservationActivitySid: null,
        assignmentActivitySid: null,
      },
    })),
    {
      op: "putWorkflow",
      reEvaluateTasks: false,
      workflow: {
        sid: router.nextSid("WW"),
        friendlyName: "Skills with escalation",
        configuration: JSON.stringify(configuration),
        taskReservationTimeout: 30,
        assignmentCallbackUrl: null,
        fallbackAssignmentCallbackUrl: null,
      },
    },
  ];
  await router.submit(commands);
  for (const agent of AGENTS) {
    const sid = await router.run<string>({
      op: "createWorker",
      worker: {
        friendlyName: agent.name,
        activitySid: entry.workspace.defaultActivitySid,
        attributes: { skills: agent.skills, languages: agent.languages, level: agent.level },
      },
    });
    await router.run({ op: "setWorkerChannel", workerSid: sid, channel: "chat", capacity: 3 });
  }
  return entry;
}

function describe(
  entry: WorkspaceEntry,
): Omit<DemoContactCenter, "accountSid" | "authToken" | "people" | "chatAddress"> {
  const { router, workspace } = entry;
  const available = [...router.catalog.activities.values()].find(
    (a) => a.record.friendlyName === "Available",
  );
  const workflow = [...router.catalog.workflows.values()][0];
  return {
    workspaceSid: workspace.sid,
    workflowSid: workflow?.record.sid ?? "",
    availableActivitySid: available?.record.sid ?? "",
    agents: router.routing.allWorkers().map((w) => ({
      name: w.friendlyName,
      sid: w.sid,
      skills: Array.isArray(w.attributes.skills) ? (w.attributes.skills as string[]) : [],
    })),
  };
}

/** What a person sees in the terminal after `npm start`: where the server is and how to log in. */
export function banner(baseUrl: string, demo: DemoContactCenter | undefined): string {
  const lines = ["", `Switchboard is running at ${baseUrl}`, ""];
  if (demo) {
    const auth = `-u ${demo.accountSid}:${demo.authToken}`;
    const workspace = `${baseUrl}/v1/Workspaces/${demo.workspaceSid}`;
    lines.push(
      "Demo account (HTTP Basic auth, as with Twilio):",
      `  Account SID: ${demo.accountSid}`,
      `  Auth token:  ${demo.authToken}`,
      "",
      `Demo contact center (TaskRouter workspace ${demo.workspaceSid}):`,
      '  Queues Sales, Support, Billing, Spanish and Everyone; workflow "Skills with escalation".',
      "  Agents (offline until they log in):",
      ...demo.agents.map((a) => `    ${a.name.padEnd(8)} ${a.sid}  ${a.skills.join(", ")}`),
      "",
      "Log an agent in (make alice Available):",
      `  curl ${auth} ${workspace}/Workers/${demo.agents[0]?.sid ?? "WK…"} -d ActivitySid=${demo.availableActivitySid}`,
      "Send a support task; it rings the longest-idle available agent with the skill:",
      `  curl ${auth} ${workspace}/Tasks -d WorkflowSid=${demo.workflowSid} --data-urlencode 'Attributes={"type":"support"}'`,
      "",
      `Sign in at ${baseUrl}/ with password ${DEMO_PASSWORD} as:`,
      ...demo.people.map((p) => `    ${p.email.padEnd(28)} ${p.role}`),
      "Put the web chat widget on any page:",
      `  <script src="${baseUrl}/widget.js" data-account="${demo.accountSid}" data-address="${demo.chatAddress}"></script>`,
      "",
      "Turn the demo off with SWITCHBOARD_DEMO=false; make accounts with `npx switchboard account create --name NAME`.",
    );
  }
  lines.push(`API description: ${baseUrl}/openapi.json   Health: ${baseUrl}/healthz`, "");
  return lines.join("\n");
}
