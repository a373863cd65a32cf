import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one server. A registry per server, not the library's global one, so two
 * servers in one process (tests, benchmarks) keep separate counts.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: "switchboard_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: "switchboard_events_appended_total",
    help: "Events appended to the event log by this process",
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: "switchboard_webhook_attempts_total",
    help: "Webhook delivery attempts by outcome (succeeded, failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly webhookDeadLettered = new Counter({
    name: "switchboard_webhook_dead_lettered_total",
    help: "Webhook deliveries that gave up after the last attempt",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "switchboard_" });
  }
}
