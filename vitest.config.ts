import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    globalSetup: ["packages/server/test/support/global-setup.ts"],
    // Integration tests start real servers and databases; give them room but keep the suite bounded.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
