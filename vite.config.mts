import { defineConfig } from "vitest/config";

// The Vitest config, in three projects. `npm test` runs unit and e2e; `npm run test:slow`
// runs slow (the floor-version compatibility matrix and the long run), which CI runs too.
// End-to-end files start real workerd processes; two run side by side (each on its own project
// copies and ports), which keeps `npm test` well inside its 4 minutes on 2 cores. Slow files run
// one at a time.
export default defineConfig({
  test: {
    // Two files at a time also on 2 cores (Vitest's default there is one).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ["default"],
    env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
    projects: [
      { extends: true, test: { name: "unit", include: ["tests/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "e2e", include: ["tests/e2e/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "slow", include: ["tests/slow/**/*.test.ts"], fileParallelism: false, hookTimeout: 900_000 },
      },
    ],
  },
});
