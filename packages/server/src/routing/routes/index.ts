import type { HttpServer } from "../../platform/http/server.ts";
import type { RoutingService } from "../service.ts";
import { queueRoutes } from "./queues.ts";
import { taskRoutes } from "./tasks.ts";
import { workerRoutes } from "./workers.ts";
import { workspaceRoutes } from "./workspaces.ts";

/** The TaskRouter v1 REST API, on Twilio's paths. */
export function routingRoutes(app: HttpServer, service: RoutingService): void {
  workspaceRoutes(app, service);
  workerRoutes(app, service);
  queueRoutes(app, service);
  taskRoutes(app, service);
}
