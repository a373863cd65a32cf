import { estimateWaitTime, type WaitEstimate } from "@switchboard/engine";
import type { InboundRouter } from "../../conversations/inbound.ts";
import type { RoutingService } from "../../routing/service.ts";

/** Used for the staffing formula until the queue has completed enough tasks to measure its pace. */
const DEFAULT_HANDLE_SECONDS = 300;
/** The pace is measured over this window, from at least this many completions. */
const PACE_WINDOW_MS = 3_600_000;
const PACE_MIN_COMPLETIONS = 3;

export type WaitLine =
  | { status: "none" }
  | { status: "waiting"; ahead: number; estimated_wait_seconds: number | null; basis: WaitEstimate["basis"] };

/**
 * The "estimated wait" line of a visitor whose conversation has a task waiting: how many are ahead
 * in its queue and how long that should take, from the queue's live staffing and its pace over the
 * last hour. `none` once the task is reserved-and-accepted, or when there is no task (yet).
 */
export async function waitLine(
  routing: RoutingService,
  inbound: InboundRouter,
  grant: { accountSid: string; address: string },
  conversationSid: string,
): Promise<WaitLine> {
  const address = await inbound.addressOf(grant.accountSid, "chat", grant.address);
  const workspaceSid = address?.auto_creation.workspace_sid;
  const router = workspaceSid ? routing.get(grant.accountSid, workspaceSid)?.router : undefined;
  if (!router) return { status: "none" };
  const now = router.now();
  const position = router.routing.waitingPosition("conversationSid", conversationSid);
  if (!position) return { status: "none" };
  const { tasks_completed: completed } = router.routing.cumulativeStatistics(
    { kind: "queue", sid: position.queueSid },
    now - PACE_WINDOW_MS,
    now,
  );
  const estimate = estimateWaitTime({
    ...position,
    averageHandleTime: DEFAULT_HANDLE_SECONDS,
    ...(completed >= PACE_MIN_COMPLETIONS && {
      recentInterCompletionTime: PACE_WINDOW_MS / 1000 / completed,
    }),
  });
  return {
    status: "waiting",
    ahead: position.ahead,
    estimated_wait_seconds: estimate.seconds ?? null,
    basis: estimate.basis,
  };
}
