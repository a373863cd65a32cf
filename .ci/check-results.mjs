// Reads Vitest's JSON report: fails when any PostgreSQL test was skipped or none ran, and prints
// the plain "N passed, N failed" closing line.
import fs from "node:fs";

const report = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const tests = report.testResults.flatMap((file) => file.assertionResults);
const count = (status) => tests.filter((t) => t.status === status).length;
const postgres = tests.filter((t) => t.ancestorTitles.some((title) => /postgres/i.test(title)));
const postgresRan = postgres.filter((t) => t.status === "passed").length;
const postgresSkipped = postgres.filter((t) => t.status !== "passed" && t.status !== "failed").length;

process.stdout.write(`PostgreSQL tests: ${postgresRan} passed, ${postgresSkipped} skipped\n`);
if (postgresRan === 0 || postgresSkipped > 0) {
  console.error("The PostgreSQL suite must run in CI: it was skipped or found no tests.");
  process.exit(1);
}
const skipped = count("skipped") + count("pending") + count("todo");
process.stdout.write(
  `${count("passed")} passed, ${count("failed")} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
);
process.exit(count("failed") > 0 ? 1 : 0);
