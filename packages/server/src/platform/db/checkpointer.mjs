// Checkpoints a SQLite database's write-ahead log from a thread of its own: copying the log into the
// database file, and flushing both, then never stalls the server's event loop (the server's own
// connection runs with wal_autocheckpoint = 0; see Database.openSqlite). A passive checkpoint never
// waits for the writer, and a checkpoint that copied the whole log lets the writer start it over,
// so the log stays about as long as what is written between two passes.
// Plain JavaScript: worker threads do not get the TypeScript loader the server starts with.
import { clearInterval, setInterval } from "node:timers";
import { parentPort, workerData } from "node:worker_threads";
import SqliteDriver from "better-sqlite3";

/** @type {{ file: string; intervalMs: number }} */
const { file, intervalMs } = workerData;
const db = new SqliteDriver(file);
db.pragma("busy_timeout = 5000");

function checkpoint() {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    // The next pass tries again; the log only grows meanwhile.
    console.error("SQLite checkpoint failed; the write-ahead log grows until one succeeds:", error);
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort?.close();
});
