/**
 * workerRun() wraps the default export of the user's worker entry. Whatever its shape (a
 * plain object, a WorkerEntrypoint class, a Hono-like app whose fetch needs its own `this`,
 * an object without fetch), the app must behave exactly as without the plugin: same
 * answers, scheduled and named exports intact, source untouched, HMR working. Each
 * fixture is served twice from fresh local state, without and with the plugin.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RawRequest } from "../helpers/dev-server.js";
import {
  editFile,
  errorPageMessage,
  exchange,
  lineOf,
  openShapeProject,
  runThroughRoute,
  triggerScheduled,
  type Reply,
  type ShapeProject,
} from "../helpers/entry-shapes.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli } from "../helpers/run-cli.js";

const PROBE = "src/scripts/probe.ts";
const CRON = "15 4 * * *";
/** Bounded polling for HMR: well below the test timeout. */
const HMR_WAIT = { timeout: 30_000, interval: 250 };

/** What a fetch-capable fixture answered without the plugin. */
interface AppBaseline {
  routes: Reply[];
  cron: Reply;
  marker: Reply;
  stack: Reply;
}

function recordApp(routes: RawRequest[]): (url: string) => Promise<AppBaseline> {
  return async (url) => {
    const replies = await exchange(url, routes);
    const cron = await triggerScheduled(url, CRON);
    const [marker, stack] = await exchange(url, [{ path: "/marker" }, { path: "/stack" }]);
    return { routes: replies, cron, marker: marker!, stack: stack! };
  };
}

async function get(url: string, pathname: string): Promise<Reply> {
  const [reply] = await exchange(url, [{ path: pathname }]);
  return reply!;
}

/** `file:line:column` of the first frame of a V8 stack. */
function topFrameLocation(stack: string): string | undefined {
  const frame = stack.split("\n").find((line) => /^\s+at /.test(line));
  return frame && /\(?([^\s()]+:\d+:\d+)\)?$/.exec(frame)?.[1];
}

async function expectTopFrameAt(shape: ShapeProject<AppBaseline>, needle: string): Promise<void> {
  const entry = path.join(shape.project.dir, "src/index.ts");
  const line = await lineOf(entry, needle);
  const reply = await get(shape.server.url, "/stack");
  expect(reply.status).toBe(200);
  const location = topFrameLocation(reply.body);
  expect(location, reply.body).toMatch(new RegExp(`/src/index\\.ts:${line}:\\d+$`));
  expect(location, "same place as without the plugin").toBe(topFrameLocation(shape.baseline.stack.body));
}

async function probeThroughCli(dir: string, args: string[]): Promise<unknown> {
  const result = await runCli(["--json", PROBE, ...args], { cwd: dir });
  expect(result.code, describeRun(result)).toBe(0);
  return JSON.parse(result.stdout) as unknown;
}

describe("default export: a plain object with fetch and scheduled, plus a Durable Object (wrangler.jsonc)", () => {
  const ROUTES: RawRequest[] = [
    { path: "/" },
    { path: "/nope" },
    { method: "POST", path: "/", body: "ignored" },
    { path: "/marker" },
    { path: "/counter" },
    { path: "/counter" },
  ];
  let shape: ShapeProject<AppBaseline>;

  beforeAll(async () => {
    shape = await openShapeProject(path.join(FIXTURES_DIR, "entry-object"), recordApp(ROUTES));
  });
  afterAll(async () => {
    await shape?.close();
  });

  it("answers the app's requests exactly as without the plugin", async () => {
    expect(shape.baseline.routes[0]).toMatchObject({ status: 200, body: "entry-object says hello (plain-object)" });
    expect(shape.baseline.routes[4]).toMatchObject({ status: 200, body: '{"count":1}' });
    expect(await exchange(shape.server.url, ROUTES)).toEqual(shape.baseline.routes);
  });

  it("keeps scheduled working, with its `this`", async () => {
    expect(await triggerScheduled(shape.server.url, CRON)).toEqual(shape.baseline.cron);
    const marker = await get(shape.server.url, "/marker");
    expect(marker).toEqual(shape.baseline.marker);
    expect(marker.body).toBe(`cron ran: ${CRON} (entry-object says hello)`);
  });

  it("keeps the Durable Object export working, for the app and for scripts alike", async () => {
    const count = async (): Promise<number> =>
      (JSON.parse((await get(shape.server.url, "/counter")).body) as { count: number }).count;
    const before = await count();
    expect(await runThroughRoute(shape.server, PROBE)).toMatchObject({ ok: true, result: { count: before + 1 } });
    expect(await count()).toBe(before + 2);
  });

  it("runs a script through the route", async () => {
    expect(await runThroughRoute(shape.server, PROBE, ["one", "two"])).toMatchObject({
      ok: true,
      result: { flavour: "plain-object", args: ["one", "two"] },
    });
  });

  it("leaves the entry's source untransformed: stacks point at its own lines", async () => {
    await expectTopFrameAt(shape, 'new Error("here")');
  });

  it("picks up an edit of the entry (HMR) and still runs scripts afterwards", async () => {
    const entry = path.join(shape.project.dir, "src/index.ts");
    await editFile(entry, 'return "entry-object says hello";', 'return "entry-object says hello, edited";');
    await vi.waitFor(async () => {
      expect((await get(shape.server.url, "/")).body).toBe("entry-object says hello, edited (plain-object)");
    }, HMR_WAIT);
    expect(await runThroughRoute(shape.server, PROBE, ["after-hmr"])).toMatchObject({
      ok: true,
      result: { flavour: "plain-object", args: ["after-hmr"] },
    });
  });

  it("runs a script through the launcher", async () => {
    await shape.closeServer(); // the launcher starts its own server on the same local state
    expect(await probeThroughCli(shape.project.dir, ["from-cli"])).toMatchObject({
      ok: true,
      result: { flavour: "plain-object", args: ["from-cli"], count: expect.any(Number) },
    });
  });
});

describe("default export: a class extending WorkerEntrypoint (wrangler.toml)", () => {
  const ROUTES: RawRequest[] = [
    { path: "/" },
    { path: "/nope" },
    { method: "POST", path: "/", body: "ignored" },
    { path: "/whoami" },
    { path: "/marker" },
  ];
  let shape: ShapeProject<AppBaseline>;

  beforeAll(async () => {
    shape = await openShapeProject(path.join(FIXTURES_DIR, "entry-class"), recordApp(ROUTES));
  });
  afterAll(async () => {
    await shape?.close();
  });

  it("answers the app's requests exactly as without the plugin", async () => {
    expect(shape.baseline.routes[0]).toMatchObject({ status: 200, body: "entry-class says hello (worker-entrypoint)" });
    expect(shape.baseline.routes[3]).toMatchObject({ body: '{"name":"App","isApp":true,"isEntrypoint":true}' });
    expect(await exchange(shape.server.url, ROUTES)).toEqual(shape.baseline.routes);
  });

  it("keeps scheduled working", async () => {
    expect(await triggerScheduled(shape.server.url, CRON)).toEqual(shape.baseline.cron);
    const marker = await get(shape.server.url, "/marker");
    expect(marker).toEqual(shape.baseline.marker);
    expect(marker.body).toBe(`cron ran: ${CRON} (entry-class)`);
  });

  it("runs a script through the route", async () => {
    expect(await runThroughRoute(shape.server, PROBE, ["one"])).toEqual({
      ok: true,
      result: { flavour: "worker-entrypoint", args: ["one"], marker: `cron ran: ${CRON} (entry-class)` },
      durationMs: expect.any(Number),
    });
  });

  it("leaves the entry's source untransformed: stacks point at its own lines", async () => {
    await expectTopFrameAt(shape, 'new Error("here")');
  });

  it("picks up an edit of the entry (HMR) and still runs scripts afterwards", async () => {
    const entry = path.join(shape.project.dir, "src/index.ts");
    await editFile(entry, "says hello (", "says hello, edited (");
    await vi.waitFor(async () => {
      expect((await get(shape.server.url, "/")).body).toBe("entry-class says hello, edited (worker-entrypoint)");
    }, HMR_WAIT);
    expect(await runThroughRoute(shape.server, PROBE, ["after-hmr"])).toMatchObject({
      ok: true,
      result: { flavour: "worker-entrypoint", args: ["after-hmr"] },
    });
  });

  it("runs a script through the launcher", async () => {
    await shape.closeServer();
    expect(await probeThroughCli(shape.project.dir, ["from-cli"])).toMatchObject({
      ok: true,
      result: { flavour: "worker-entrypoint", args: ["from-cli"] },
    });
  });
});

describe("default export: a Hono-like app whose fetch needs its own `this` (inline config, workerRun() first)", () => {
  const ROUTES: RawRequest[] = [
    { path: "/" },
    { path: "/nope" },
    { method: "POST", path: "/", body: "ignored" },
    { path: "/marker" },
  ];
  let shape: ShapeProject<AppBaseline>;

  beforeAll(async () => {
    shape = await openShapeProject(path.join(FIXTURES_DIR, "entry-hono"), recordApp(ROUTES));
  });
  afterAll(async () => {
    await shape?.close();
  });

  it("answers the app's requests exactly as without the plugin", async () => {
    expect(shape.baseline.routes[0]).toMatchObject({ status: 200, body: "entry-hono says hello (hono-like)" });
    expect(shape.baseline.routes[1]).toMatchObject({ status: 404, body: "entry-hono has no /nope" });
    expect(await exchange(shape.server.url, ROUTES)).toEqual(shape.baseline.routes);
  });

  it("keeps scheduled working when the handler uses the instance's private fields", async () => {
    // The runner calls `exportValue.scheduled.call(exportValue, …)`: without the plugin
    // `this` is the app itself, so `this.#cronRuns` works.
    expect(shape.baseline.cron).toMatchObject({ status: 200, body: "ok" });
    expect(shape.baseline.marker.body).toBe(`cron ran: ${CRON} (entry-hono, run 1)`);
    const cron = await triggerScheduled(shape.server.url, CRON);
    const marker = await get(shape.server.url, "/marker");
    expect(cron, "scheduled() must run as it does without the plugin").toEqual(shape.baseline.cron);
    expect(marker).toEqual(shape.baseline.marker);
  });

  it("runs a script that imports the app from the same module graph", async () => {
    expect(await runThroughRoute(shape.server, PROBE, ["one"])).toEqual({
      ok: true,
      result: { flavour: "hono-like", args: ["one"], routes: ["/", "/stack", "/marker"] },
      durationMs: expect.any(Number),
    });
  });

  it("leaves the entry's source untransformed: stacks point at its own lines", async () => {
    await expectTopFrameAt(shape, 'new Error("here")');
  });

  it("picks up an edit of the entry (HMR) and still runs scripts afterwards", async () => {
    const entry = path.join(shape.project.dir, "src/index.ts");
    await editFile(entry, "says hello (", "says hello, edited (");
    await vi.waitFor(async () => {
      expect((await get(shape.server.url, "/")).body).toBe("entry-hono says hello, edited (hono-like)");
    }, HMR_WAIT);
    expect(await runThroughRoute(shape.server, PROBE, ["after-hmr"])).toMatchObject({
      ok: true,
      result: { flavour: "hono-like", args: ["after-hmr"] },
    });
  });

  it("runs a script through the launcher", async () => {
    await shape.closeServer();
    expect(await probeThroughCli(shape.project.dir, ["from-cli"])).toMatchObject({
      ok: true,
      result: { flavour: "hono-like", args: ["from-cli"], routes: ["/", "/stack", "/marker"] },
    });
  });
});

describe("default export without fetch, only scheduled (config at ./config/worker.jsonc)", () => {
  const ROUTES: RawRequest[] = [{ path: "/" }, { method: "POST", path: "/anything", body: "ignored" }];
  /** Status and error message: the error page's stack names the wrapper's frames. */
  const failures = (replies: Reply[]): unknown[] =>
    replies.map(({ request, status, body }) => ({ request, status, message: errorPageMessage(body) }));
  let shape: ShapeProject<{ routes: Reply[]; cron: Reply }>;

  beforeAll(async () => {
    shape = await openShapeProject(path.join(FIXTURES_DIR, "entry-no-fetch"), async (url) => ({
      routes: await exchange(url, ROUTES),
      cron: await triggerScheduled(url, CRON),
    }));
  });
  afterAll(async () => {
    await shape?.close();
  });

  it("runs a script through the route", async () => {
    expect(await runThroughRoute(shape.server, PROBE, ["one"])).toEqual({
      ok: true,
      result: { flavour: "cron-only", args: ["one"], marker: null },
      durationMs: expect.any(Number),
    });
  });

  it("fails an ordinary request exactly as without the plugin", async () => {
    const baseline = failures(shape.baseline.routes);
    expect(baseline[0]).toMatchObject({ status: 500, message: expect.stringContaining("to define a `fetch()` function") });
    expect(failures(await exchange(shape.server.url, ROUTES))).toEqual(baseline);
  });

  it("keeps scheduled working", async () => {
    expect(await triggerScheduled(shape.server.url, CRON)).toEqual(shape.baseline.cron);
    expect(await runThroughRoute(shape.server, PROBE)).toMatchObject({
      ok: true,
      result: { marker: `cron ran: ${CRON} (cron-only)` },
    });
  });

  // No stack check here: without fetch, no request reaches the entry's own code.

  it("picks up an edit of the entry (HMR) and still runs scripts afterwards", async () => {
    const entry = path.join(shape.project.dir, "src/index.ts");
    await editFile(entry, "`cron ran: ", "`cron ran after an edit: ");
    await vi.waitFor(async () => {
      expect(await triggerScheduled(shape.server.url, CRON)).toMatchObject({ status: 200 });
      expect(await runThroughRoute(shape.server, PROBE, ["after-hmr"])).toMatchObject({
        ok: true,
        result: { args: ["after-hmr"], marker: `cron ran after an edit: ${CRON} (cron-only)` },
      });
    }, HMR_WAIT);
  });

  it("runs a script through the launcher", async () => {
    await shape.closeServer();
    expect(await probeThroughCli(shape.project.dir, ["from-cli"])).toMatchObject({
      ok: true,
      result: { flavour: "cron-only", args: ["from-cli"] },
    });
  });
});
