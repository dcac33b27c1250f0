import { cloudflare } from "@cloudflare/vite-plugin";
import { defineConfig } from "vite";
import { workerRun } from "vite-plugin-worker-run";

export default defineConfig({
  plugins: [cloudflare({ inspectorPort: false }), workerRun()],
});
