import { configDefaults, defineConfig } from "vitest/config";

const LONG_RUN = "tests/e2e/long-run.test.ts";

// The Vitest config. The end-to-end specs start real workerd processes; they run one file
// at a time so that two specs never compete for the same project or the two cores. The
// six-minute long-run spec is mostly asleep, so it runs beside them in a project of its own.
export default defineConfig({
  test: {
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ["default"],
    env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
    projects: [
      {
        extends: true,
        test: { name: "main", include: ["tests/**/*.test.ts"], exclude: [...configDefaults.exclude, LONG_RUN], fileParallelism: false },
      },
      { extends: true, test: { name: "long-run", include: [LONG_RUN] } },
    ],
  },
});
