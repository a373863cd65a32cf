import type { localTwilio } from "./twilio-client.ts";

type Client = ReturnType<typeof localTwilio>;

/** A workspace with a support queue, a workflow routing tasks that match `expression` to it, and one available agent. */
export async function supportDesk(
  client: Client,
  reservationTimeout = 120,
  expression = "type == 'support'",
) {
  const workspace = await client.taskrouter.v1.workspaces.create({ friendlyName: "Support desk" });
  const ws = client.taskrouter.v1.workspaces(workspace.sid);
  const activities = await ws.activities.list();
  const available = activities.find((a) => a.friendlyName === "Available")!;
  const offline = activities.find((a) => a.friendlyName === "Offline")!;
  const queue = await ws.taskQueues.create({
    friendlyName: "Support",
    targetWorkers: "skills HAS 'support'",
  });
  const workflow = await ws.workflows.create({
    friendlyName: "Triage",
    taskReservationTimeout: reservationTimeout,
    configuration: JSON.stringify({
      task_routing: {
        filters: [
          {
            filter_friendly_name: "support",
            expression,
            targets: [{ queue: queue.sid }],
          },
        ],
      },
    }),
  });
  const alice = await ws.workers.create({
    friendlyName: "alice",
    activitySid: available.sid,
    attributes: JSON.stringify({ skills: ["support"] }),
  });
  return { workspace, ws, available, offline, queue, workflow, alice };
}
