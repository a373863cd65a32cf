import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyReply } from "fastify";
import type { HttpServer } from "../platform/http/server.ts";

/** Where `npm run build` (Vite) puts the web apps. */
export const WEB_DIST = path.resolve(import.meta.dirname, "../../../web/dist");

/** Pages of the single-page app: each serves index.html, and the app draws the page from the path. */
const APP_PAGES = ["/", "/signin", "/invite", "/agent", "/supervisor", "/insights", "/admin", "/admin/*"];
/** The page the widget's script tag opens in its iframe, on any site. */
const WIDGET_FRAME = "/widget/frame.html";

const APP_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "media-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  // The CRM panel shows whatever the admin's URL template points at.
  "frame-src http: https:",
  "frame-ancestors 'none'",
].join("; ");
const WIDGET_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors *",
].join("; ");

/**
 * Serves the web apps: the sign-in, agent desktop, supervisor and admin pages (one single-page
 * app), and the web chat widget (`/widget.js` for the host page's script tag, and the frame it
 * opens). Hashed assets are cached for good; pages are revalidated on every load.
 */
export async function webRoutes(app: HttpServer, pluginDir: string, dist = WEB_DIST): Promise<void> {
  if (existsSync(pluginDir))
    await app.register(fastifyStatic, {
      root: pluginDir,
      prefix: "/plugins/",
      decorateReply: false,
      cacheControl: false,
      setHeaders: (response) => {
        // Plugins change without a redeploy: browsers ask again each time.
        response.header("Cache-Control", "no-cache");
        response.header("X-Content-Type-Options", "nosniff");
      },
    });
  if (!existsSync(path.join(dist, "index.html"))) {
    const unbuilt = (_request: unknown, reply: FastifyReply) =>
      reply
        .code(503)
        .type("text/plain")
        .send("The web apps are not built: run `npm run build` (npm start does it for you).");
    for (const page of [...APP_PAGES, WIDGET_FRAME, "/widget.js"])
      app.get(page, { schema: { hide: true } }, unbuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: dist,
    serve: false,
  });
  // Vite names assets by their content's hash: a changed file is a new name.
  await app.register(fastifyStatic, {
    root: path.join(dist, "assets"),
    prefix: "/assets/",
    decorateReply: false,
    immutable: true,
    maxAge: "365d",
  });
  const page = (file: string, policy: string) => (_request: unknown, reply: FastifyReply) =>
    reply
      .header("Cache-Control", "no-cache")
      .header("Content-Security-Policy", policy)
      .header("X-Content-Type-Options", "nosniff")
      .header("Referrer-Policy", "same-origin")
      .sendFile(file);
  for (const route of APP_PAGES) app.get(route, { schema: { hide: true } }, page("index.html", APP_POLICY));
  app.get(WIDGET_FRAME, { schema: { hide: true } }, page("widget/frame.html", WIDGET_POLICY));
  app.get("/widget.js", { schema: { hide: true } }, (_request, reply) =>
    reply
      .header("Cache-Control", "no-cache")
      .header("Access-Control-Allow-Origin", "*")
      .sendFile("widget.js"),
  );
}
