import { z } from "zod";
import { origin } from "../../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../../platform/http/server.ts";
import type { RoutingService } from "../service.ts";
import { V1, v1Date, workspaceOf } from "./common.ts";
import { taskOf } from "./tasks.ts";

/**
 * Our own addition to TaskRouter: why a task is where it is. Which workflow filters match its
 * attributes, which step it is on and since when, its reservations so far, and for every worker the
 * step could reach, whether it was offered the task and, if not, why.
 */
export function traceRoutes(app: HttpServer, service: RoutingService): void {
  app.get(
    `${API_PREFIX}/Workspaces/:WorkspaceSid/Tasks/:TaskSid/Routing`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary: "Explain where a task is routed and why",
        params: z.object({ WorkspaceSid: z.string(), TaskSid: z.string() }),
      },
    },
    (request) => {
      const { router } = workspaceOf(service, request);
      const task = taskOf(router, request.params.TaskSid);
      router.now();
      const explanation = router.routing.explain(task.sid);
      const { position } = explanation;
      const queue = position && router.catalog.queues.get(position.queueSid)?.record;
      return {
        account_sid: router.identity.accountSid,
        workspace_sid: router.identity.workspaceSid,
        task_sid: task.sid,
        assignment_status: explanation.status,
        workflow_sid: explanation.workflowSid ?? null,
        filters: explanation.filters,
        position: position
          ? {
              filter: position.filter,
              filter_name: position.filterName,
              step: position.step,
              step_entered: v1Date(position.stepEnteredAt),
              task_queue_sid: position.queueSid,
              task_queue_friendly_name: queue?.friendlyName ?? null,
              expression: position.expression ?? null,
              priority: position.priority ?? null,
              timeout: position.timeout ?? null,
              known_worker_sid: position.knownWorkerSid ?? null,
              order_by: position.orderBy ?? null,
            }
          : null,
        reservations: explanation.reservations.map((r) => ({
          sid: r.sid,
          worker_sid: r.workerSid,
          worker_name: r.workerName,
          reservation_status: r.status,
          date_created: v1Date(r.dateCreated),
          date_updated: v1Date(r.dateUpdated),
        })),
        candidates: explanation.candidates.map((c) => ({
          worker_sid: c.workerSid,
          worker_name: c.workerName,
          verdict: c.verdict,
          detail: c.detail,
        })),
        url: `${origin(request)}${API_PREFIX}/Workspaces/${router.identity.workspaceSid}/Tasks/${task.sid}/Routing`,
        links: { task: `${origin(request)}${V1}/${router.identity.workspaceSid}/Tasks/${task.sid}` },
      };
    },
  );
}
