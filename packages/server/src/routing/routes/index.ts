import type { EventLog } from "../../platform/events/event-log.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RoutingService } from "../service.ts";
import { routingEventRoutes } from "./events.ts";
import { queueRoutes } from "./queues.ts";
import { statisticsRoutes } from "./statistics.ts";
import { taskRoutes } from "./tasks.ts";
import { traceRoutes } from "./trace.ts";
import { workerRoutes } from "./workers.ts";
import { workspaceRoutes } from "./workspaces.ts";

/** The TaskRouter v1 REST API, on Twilio's paths, and the routing trace on ours. */
export function routingRoutes(app: HttpServer, service: RoutingService, events: EventLog): void {
  workspaceRoutes(app, service);
  workerRoutes(app, service);
  queueRoutes(app, service);
  taskRoutes(app, service);
  statisticsRoutes(app, service);
  routingEventRoutes(app, service, events);
  traceRoutes(app, service);
}
