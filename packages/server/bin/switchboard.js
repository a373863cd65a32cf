#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a change and a run.
import v8 from "node:v8";
import { register } from "tsx/esm/api";

// The routing engine makes many short-lived objects (events and their snapshots); a 64 MB young
// generation keeps them out of the old one. `npm start` passes the same flag to node.
v8.setFlagsFromString("--max-semi-space-size=64");

register();
const { main } = await import("../src/cli/main.ts");
await main(process.argv);
