// Runs a TypeScript module in a worker thread: the tsx loader the benchmarks start with does not
// reach worker threads, so the module named in workerData.module is imported through tsx here.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.module, import.meta.url);
