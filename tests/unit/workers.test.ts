// plugin/workers.ts: the directory of a dev server's workers, learnt from the Cloudflare
// plugin's own initRunner(miniflare, workerConfig, options) calls. Fake environments stand in
// for the plugin's; what matters is what the directory records and that it passes every call
// on unchanged.
import type { ViteDevServer } from "vite";
import { describe, expect, test, vi } from "vitest";
import { createWorkerDirectory } from "../../plugin/workers.js";

function fakeServer(names: string[]) {
  const calls: unknown[][] = [];
  const environments = Object.fromEntries(
    names.map((name) => [
      name,
      {
        initRunner: vi.fn(function (this: unknown, ...args: unknown[]) {
          calls.push([name, this, ...args]);
          return Promise.resolve(`ready:${name}`);
        }),
      },
    ]),
  );
  environments.client = {} as never; // The browser's environment has no initRunner.
  return { server: { environments } as unknown as ViteDevServer, environments, calls };
}

const miniflare = { dispatchFetch: vi.fn(async (_url: URL, _init: RequestInit) => new Response("ok")) };

type Init = (miniflare: unknown, config: unknown, options?: unknown) => Promise<unknown>;

describe("createWorkerDirectory", () => {
  test("learns each worker from its initRunner call and passes the call on unchanged", async () => {
    const { server, environments, calls } = fakeServer(["gateway", "auth", "rsc"]);
    const directory = createWorkerDirectory();
    directory.watch(server);
    const gateway = environments.gateway as unknown as { initRunner: Init };
    const gatewayConfig = {
      name: "gateway",
      durable_objects: {
        bindings: [
          { name: "COUNTER", class_name: "Counter" },
          { name: "SHELF", class_name: "Shelf", script_name: "auth" },
          { name: "FAR", class_name: "Far", script_name: "elsewhere" },
          { name: 1, class_name: "Broken" },
        ],
      },
    };
    const options = { isEntryWorker: true, isParentEnvironment: true };
    await expect(gateway.initRunner(miniflare, gatewayConfig, options)).resolves.toBe("ready:gateway");
    expect(calls[0]).toEqual(["gateway", gateway, miniflare, gatewayConfig, options]);
    await (environments.auth as unknown as { initRunner: Init }).initRunner(miniflare, { name: "auth" }, { isEntryWorker: false, isParentEnvironment: true });
    // A child environment runs in its parent's worker: not a worker of its own.
    await (environments.rsc as unknown as { initRunner: Init }).initRunner(miniflare, { name: "gateway" }, { isEntryWorker: false, isParentEnvironment: false });

    expect(directory.list().map((worker) => [worker.name, worker.environment, worker.entry])).toEqual([
      ["gateway", "gateway", true],
      ["auth", "auth", false],
    ]);
    expect(directory.byName("auth")?.environment).toBe("auth");
    expect(directory.byName("rsc")).toBeUndefined();
    expect(directory.byEnvironment("rsc")).toBeUndefined();
    expect(directory.objectClasses("gateway")).toEqual(["Counter"]);
    expect(directory.objectClasses("auth")).toEqual(["Shelf"]);
    expect(directory.externalObjects("gateway")).toEqual({ FAR: "elsewhere" });
    expect(directory.externalObjects("auth")).toEqual({});
  });

  test("learns each worker's D1 databases and Wrangler config file, for --migrate", async () => {
    const { server, environments } = fakeServer(["app"]);
    const directory = createWorkerDirectory();
    directory.watch(server);
    const d1 = { binding: "DB", database_name: "db", database_id: "x", migrations_dir: "sql", migrations_table: "t" };
    const config = { name: "app", configPath: "/project/wrangler.jsonc", d1_databases: [d1, { database_name: "no binding" }, null] };
    await (environments.app as unknown as { initRunner: Init }).initRunner(miniflare, config, { isEntryWorker: true });
    expect(directory.byName("app")).toMatchObject({ d1Databases: [d1], configPath: "/project/wrangler.jsonc" });
  });

  test("early releases passed isEntryWorker as a boolean", async () => {
    const { server, environments } = fakeServer(["app"]);
    const directory = createWorkerDirectory();
    directory.watch(server);
    await (environments.app as unknown as { initRunner: Init }).initRunner(miniflare, { name: "app" }, true);
    expect(directory.list()).toEqual([{ name: "app", environment: "app", entry: true, objectBindings: [], d1Databases: [] }]);
  });

  test("dispatch names the worker in Miniflare's route header; nothing to dispatch to before set-up", async () => {
    const { server, environments } = fakeServer(["app"]);
    const directory = createWorkerDirectory();
    await expect(directory.dispatch("app", new URL("http://localhost/"), {})).rejects.toThrow("not set up yet");
    directory.watch(server);
    await (environments.app as unknown as { initRunner: Init }).initRunner(miniflare, { name: "app" }, { isEntryWorker: true });
    await directory.dispatch("aux", new URL("http://localhost/__worker-run"), { method: "POST", headers: { "x-a": "1" } });
    const [url, init] = miniflare.dispatchFetch.mock.calls.at(-1)!;
    expect(url.href).toBe("http://localhost/__worker-run");
    const headers = new Headers(init.headers);
    expect(headers.get("MF-Route-Override")).toBe("aux");
    expect(headers.get("x-a")).toBe("1");
    expect(init.method).toBe("POST");
  });

  test("a new server (a restart) starts from nothing", async () => {
    const first = fakeServer(["app"]);
    const directory = createWorkerDirectory();
    directory.watch(first.server);
    await (first.environments.app as unknown as { initRunner: Init }).initRunner(miniflare, { name: "app" }, { isEntryWorker: true });
    directory.watch(fakeServer(["other"]).server);
    expect(directory.list()).toEqual([]);
  });
});
