import type { Duplex } from "node:stream";
import type WebSocket from "ws";

/** Sockets holding frames until the end of the current turn of the event loop. */
const held = new Set<Duplex>();

function release(): void {
  for (const socket of held) socket.uncork();
  held.clear();
}

/**
 * Sends a WebSocket frame, written together with every other frame sent to the same socket in this
 * turn of the event loop: one system call per socket per turn instead of one per frame. One commit
 * often has several frames for one socket (an agent's stream gets a batch's messages for its
 * conversations; a visitor its acknowledgement and the message's echo), and on a busy server the
 * writes were a sixth of the event loop. Frames wait at most until the turn's I/O is done.
 */
export function sendBatched(socket: WebSocket, data: string): void {
  // `ws` keeps the connection as `_socket`; corking it (Node counts corks, as `ws` itself corks
  // around a frame's parts) holds the writes without touching the frames.
  const connection = (socket as unknown as { _socket?: Duplex })._socket;
  if (connection && !held.has(connection)) {
    connection.cork();
    held.add(connection);
    if (held.size === 1) setImmediate(release);
  }
  socket.send(data);
}
