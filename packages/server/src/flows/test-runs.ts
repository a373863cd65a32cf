import { z } from "zod";
import type { ConversationStore } from "../conversations/store.ts";
import { invalidParameter, notFound } from "../platform/errors.ts";
import { API_PREFIX, type HttpServer } from "../platform/http/server.ts";
import type { FlowRunner } from "./runner.ts";
import type { FlowStore } from "./store.ts";

/**
 * The flow builder's test run: a chat conversation whose studio webhook runs the flow's latest
 * revision, draft or not, so an admin can play a conversation against work in progress before
 * publishing it. Everything after that is the ordinary path: the tester's messages go through the
 * Conversations API, the execution is a real one (its steps show in the Executions API), and a
 * send-to-flex widget creates a real task.
 */
export function flowTestRunRoutes(
  app: HttpServer,
  flows: FlowStore,
  conversations: ConversationStore,
  runner: FlowRunner,
): void {
  app.post(
    `${API_PREFIX}/Flows/:Sid/TestRuns`,
    {
      schema: {
        tags: ["Studio"],
        summary: "Open a chat conversation that runs the flow's latest revision (draft or not)",
        params: z.object({ Sid: z.string() }),
      },
    },
    async (request, reply) => {
      const accountSid = request.principal.accountSid;
      const flow = await flows.get(accountSid, request.params.Sid);
      if (!flow) throw notFound(`The requested resource Flow ${request.params.Sid} was not found`);
      const revision = await runner.latestValid(accountSid, flow);
      if (!revision)
        throw invalidParameter(`Flow ${flow.sid}'s latest revision has errors; fix them to test it`);
      const conversation = await conversations.create(accountSid, {
        friendlyName: `Test run of ${flow.friendly_name}`,
        attributes: JSON.stringify({
          test_run: {
            flow_sid: flow.sid,
            revision: revision.revision,
            by: request.principal.user?.sid ?? null,
          },
        }),
      });
      // The tester's identity is the execution's contact: one per run, so runs never share one.
      const identity = `tester-${conversation.sid.slice(-10)}`;
      await conversations.addParticipant(conversation, { identity });
      await conversations.addWebhook(conversation, {
        target: "studio",
        flowSid: flow.sid,
        flowRevision: "latest",
      });
      return reply.code(201).send({
        flow_sid: flow.sid,
        revision: revision.revision,
        conversation_sid: conversation.sid,
        identity,
      });
    },
  );
}
