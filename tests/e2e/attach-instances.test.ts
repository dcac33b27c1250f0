/**
 * Each run imports its own instance of the script module (`<script>?worker-run=<nonce>`).
 * With attach, one `vite dev` serves runs for as long as the user works, so a finished
 * run's instance must not stay in the dev server's module graph: otherwise the graph grows
 * by one module per run, and an edit of a script that ever ran invalidates every old
 * instance and reloads the whole worker ("program reload"). In-process server, real workerd.
 * The plugin's middleware drops a run's instance when the run's answer closes on the Node
 * side, which may be a moment after the client has read it: the last one may still be there.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeProject } from "../helpers/attach-streaming.js";
import { postRun, startTestServer, type TestServer } from "../helpers/dev-server.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const RUNS = 10;

describe("finished runs leave no script module instance behind", () => {
  let project: TempProject;
  let server: TestServer;

  beforeAll(async () => {
    project = await copyProject(path.join(FIXTURES_DIR, "attach"));
    server = await startTestServer(project.dir);
  });

  afterAll(async () => {
    await removeProject(project, () => server?.close());
  });

  it(`${RUNS} runs of one script: at most one instance of it stays in the module graph`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const response = await postRun(server, { script: "src/scripts/fast.ts", args: [String(run)] });
      expect(response.status, response.body).toBe(200);
      expect(JSON.parse(response.body), response.body).toMatchObject({ ok: true, result: { args: [String(run)] } });
    }
    const file = path.join(project.dir, "src/scripts/fast.ts");
    const instances = Object.values(server.server.environments).flatMap((environment) => [
      ...(environment.moduleGraph.getModulesByFile(file) ?? []),
    ]);
    expect(
      instances.length,
      `Module instances of ${file} left after ${RUNS} finished runs:\n${instances.map((module) => module.id).join("\n")}`,
    ).toBeLessThanOrEqual(1);
  });
});
