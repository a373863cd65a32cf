import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { sendBatched } from "./batched-send.ts";

let server: WebSocketServer | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

it("holds the frames sent to a socket in one turn and writes them together, in order, when it ends", async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  const accepted = new Promise<WebSocket>((resolve) => server!.once("connection", resolve));
  await new Promise((resolve) => server!.once("listening", resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (data: Buffer) => received.push(data.toString()));
  const socket = await accepted;
  const connection = (socket as unknown as { _socket: Duplex })._socket;

  sendBatched(socket, "one");
  sendBatched(socket, "two");
  expect(connection.writableCorked).toBe(1); // held: nothing written yet
  await new Promise((resolve) => setImmediate(resolve));
  expect(connection.writableCorked).toBe(0);
  await expect.poll(() => received).toEqual(["one", "two"]);
  client.close();
});
