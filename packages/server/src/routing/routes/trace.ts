import { z } from "zod";
import { origin } from "../../platform/http/paging.ts";
import { API_PREFIX, type HttpServer } from "../../platform/http/server.ts";
import type { RoutingService } from "../service.ts";
import { invalidParameter } from "../../platform/errors.ts";
import { jsonObject, missing, routed, V1, v1Date, workspaceOf } from "./common.ts";
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

  app.post(
    `${API_PREFIX}/Workspaces/:WorkspaceSid/RoutingSamples`,
    {
      schema: {
        tags: ["TaskRouter"],
        summary:
          "Where a task with these attributes would go now, under a saved workflow or an unsaved configuration, without creating it",
        params: z.object({ WorkspaceSid: z.string() }),
        body: z.object({
          Attributes: jsonObject,
          Configuration: z.string().max(65_536).optional(),
          WorkflowSid: z.string().optional(),
          TaskChannel: z.string().default("default"),
        }),
      },
    },
    async (request) => {
      const { router } = workspaceOf(service, request);
      const { Attributes, Configuration, WorkflowSid, TaskChannel } = request.body;
      if ((Configuration === undefined) === (WorkflowSid === undefined))
        throw invalidParameter("Give either Configuration or WorkflowSid");
      let configuration = Configuration;
      if (WorkflowSid !== undefined) {
        const workflow = router.catalog.workflows.get(WorkflowSid);
        if (!workflow) throw missing("Workflow", WorkflowSid);
        configuration = workflow.record.configuration;
      }
      router.now();
      const sample = await routed(
        Promise.resolve().then(() => router.routing.routeSample(configuration!, Attributes, TaskChannel)),
      );
      const queueName = (sid: string) => router.catalog.queues.get(sid)?.record.friendlyName ?? sid;
      return {
        account_sid: router.identity.accountSid,
        workspace_sid: router.identity.workspaceSid,
        filters: sample.filters,
        filter: sample.filter ?? null,
        steps: sample.steps.map((step) => ({
          step: step.step,
          task_queue_sid: step.queueSid,
          task_queue_friendly_name: queueName(step.queueSid),
          expression: step.expression ?? null,
          priority: step.priority ?? null,
          timeout: step.timeout ?? null,
          order_by: step.orderBy ?? null,
          skipped: step.skipped,
          waiting_ahead: step.waitingAhead,
          offer_to: step.offerTo,
          candidates: step.candidates.map((c) => ({
            worker_sid: c.workerSid,
            worker_name: c.workerName,
            verdict: c.verdict,
            detail: c.detail,
          })),
        })),
      };
    },
  );
}
