import { defineConfig } from "vitest/config";

// The Vitest config. The end-to-end specs start real workerd processes; they run one file
// at a time so that two specs never compete for the same project or the two cores.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ["default"],
    env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
  },
});
