/**
 * Estimated wait time for a contact joining a queue now, from live queue state: used for
 * "estimated wait" lines in web chat and for deciding whether to offer a callback.
 *
 * With `agents` eligible agents each finishing a contact every `averageHandleTime` seconds on
 * average, the queue drains at agents / AHT contacts per second; a contact with `ahead` contacts in
 * front of it waits for ahead + 1 completions. When some agents are already free the wait is zero.
 */
export interface QueueState {
  /** Contacts waiting ahead of this one. */
  ahead: number;
  /** Agents who can take contacts from this queue and are logged in (busy or not). */
  staffedAgents: number;
  /** Of those, how many could take a contact right now. */
  idleAgents: number;
  /** Seconds, from recent history. */
  averageHandleTime: number;
  /** Seconds; when recent completions are known, the measured time between them beats the formula. */
  recentInterCompletionTime?: number;
}

export interface WaitEstimate {
  /** Seconds; undefined when nobody is staffed (the wait is unbounded). */
  seconds: number | undefined;
  /** The method used, for display and debugging. */
  basis: "idle-agent" | "observed-throughput" | "staffing" | "unstaffed";
}

export function estimateWaitTime(queue: QueueState): WaitEstimate {
  if (queue.idleAgents > queue.ahead) return { seconds: 0, basis: "idle-agent" };
  if (queue.recentInterCompletionTime !== undefined && queue.recentInterCompletionTime > 0) {
    return {
      seconds: Math.round((queue.ahead + 1 - queue.idleAgents) * queue.recentInterCompletionTime),
      basis: "observed-throughput",
    };
  }
  if (queue.staffedAgents <= 0) return { seconds: undefined, basis: "unstaffed" };
  return {
    seconds: Math.round(
      ((queue.ahead + 1 - queue.idleAgents) * queue.averageHandleTime) / queue.staffedAgents,
    ),
    basis: "staffing",
  };
}
