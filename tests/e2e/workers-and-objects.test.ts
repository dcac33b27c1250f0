// `--worker` and `--do` on a multi-worker app (tests/fixtures/multi-worker): the entry worker
// "gateway" and the auxiliary workers "auth" and "store", each with bindings of its own; a
// SQLite-backed and a key-value-backed Durable Object in the gateway, a SQLite one in the
// store that the gateway binds too (script_name), a D1 database of the store's own with its
// migrations folder, and a binding to a worker this dev server does not run. Real workerd: a `vite dev` process the launcher attaches to, and cold runs in a
// second copy of the project.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readRecord } from "../../common/discovery.js";
import { ROUTE_PATH, RUN_ID_HEADER, TOKEN_HEADER, WORKER_HEADER } from "../../shared/protocol.js";
import { removeProject, waitForOutput } from "../helpers/attach-streaming.js";
import { expectExit, parseJsonStdout } from "../helpers/cli-assertions.js";
import { rawRequest } from "../helpers/dev-server.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun, runCli, spawnCli, type CliResult } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const FIXTURE = path.join(FIXTURES_DIR, "multi-worker");

/** Runs the launcher in `dir`; `--json`, so stdout is exactly one document. */
function workerRun(dir: string, args: string[]): Promise<CliResult> {
  return runCli(["--json", ...args], { cwd: dir });
}

async function resultOf(dir: string, args: string[]): Promise<unknown> {
  const result = await workerRun(dir, args);
  expectExit(result, 0);
  return (parseJsonStdout(result) as { result: unknown }).result;
}

/** A usage error: exit 2, and the message on stderr. */
async function expectUsageError(dir: string, args: string[], message: string | RegExp): Promise<void> {
  const result = await workerRun(dir, args);
  expectExit(result, 2);
  const document = parseJsonStdout(result) as { ok: boolean; error: { message: string } };
  expect(document.ok, describeRun(result)).toBe(false);
  if (typeof message === "string") expect(document.error.message, describeRun(result)).toBe(message);
  else expect(document.error.message, describeRun(result)).toMatch(message);
}

describe("--worker and --do in a running vite dev", () => {
  let project: TempProject;
  let dev: ViteDevProcess;

  beforeAll(async () => {
    project = await copyProject(FIXTURE);
    dev = await startViteDev(project.dir, { readyStatus: 200 });
  });

  afterAll(async () => {
    await removeProject(project, () => dev?.stop());
  });

  async function getJson(pathname: string): Promise<unknown> {
    const response = await dev.get(pathname);
    expect(response.status, `${pathname}: ${response.body}`).toBe(200);
    return JSON.parse(response.body);
  }

  test("the workers still call each other as without the plugin: service-binding fetch, RPC to the default and a named entrypoint", async () => {
    expect(await getJson("/")).toEqual({ worker: "gateway" });
    expect(await getJson("/auth/fetch")).toEqual({ worker: "auth" });
    expect(await getJson("/auth/rpc")).toEqual({ verified: true });
    expect(await getJson("/auth/admin")).toEqual({ role: "admin of auth" });
    expect(await getJson("/shelf?name=rpc-check")).toEqual({ count: 0 });
  });

  test("--list shows the running dev server's workers, entry first; --json stays the array of scripts", async () => {
    const plain = await runCli(["--list"], { cwd: project.dir });
    expectExit(plain, 0);
    expect(plain.stdout).toContain("\n\nWorkers (--worker <name>): gateway (entry), auth, store\n");
    const json = await runCli(["--list", "--json"], { cwd: project.dir });
    expectExit(json, 0);
    const listed = JSON.parse(json.stdout) as Array<{ name: string }>;
    expect(listed.map((script) => script.name)).toEqual(["add-book", "legacy-set", "set-hits", "wait-for-cancel", "whoami"]);
  });

  test("--worker runs the script with that worker's own env; the entry worker by default and by name", async () => {
    const gateway = { role: "gateway", bindings: ["AUTH", "AUTH_ADMIN", "COUNTER", "DB", "FAR", "LEGACY", "ROLE", "SHELF"] };
    expect(await resultOf(project.dir, ["whoami"])).toEqual(gateway);
    expect(await resultOf(project.dir, ["--worker", "gateway", "whoami"])).toEqual(gateway);
    expect(await resultOf(project.dir, ["--worker", "auth", "whoami"])).toEqual({
      role: "auth",
      bindings: ["GATEWAY_COUNTER", "ROLE", "SESSIONS"],
    });
    expect(await resultOf(project.dir, ["--worker", "store", "whoami"])).toEqual({ role: "store", bindings: ["ROLE", "SHELF", "STOCK"] });
  });

  test("--migrate --worker store applies the store worker's own D1 migrations, from the folder its Wrangler config names", async () => {
    const first = await runCli(["--migrate", "--worker", "store"], { cwd: project.dir });
    expectExit(first, 0);
    expect(first.stdout, describeRun(first)).toBe("Applied 0001_create_items.sql to STOCK\n");
    // Applied once, in the store's database: a second run finds nothing to do.
    expect(await resultOf(project.dir, ["--migrate", "--worker", "store"])).toEqual({ applied: { STOCK: [] } });
    const items = await resultOf(project.dir, ["--worker", "store", "-e", "env.STOCK.prepare('SELECT sku, quantity FROM items').all().then((r) => r.results)"]);
    expect(items).toEqual([{ sku: "book-1", quantity: 3 }]);
  });

  test("--worker with -e, and a binding of that worker used for real (auth's KV)", async () => {
    const stored = await resultOf(project.dir, [
      "--worker",
      "auth",
      "-e",
      "env.SESSIONS.put('s1', 'alice').then(() => env.SESSIONS.get('s1'))",
    ]);
    expect(stored).toBe("alice");
  });

  test("an unknown --worker: exit 2, and the message lists the workers", async () => {
    await expectUsageError(
      project.dir,
      ["--worker", "billing", "whoami"],
      'No worker named "billing" in this dev server. Its workers: gateway (the entry worker), auth, store.',
    );
    // Without --json, the message is on stderr and stdout stays empty.
    const plain = await runCli(["--worker", "billing", "whoami"], { cwd: project.dir });
    expectExit(plain, 2);
    expect(plain.stdout).toBe("");
    expect(plain.stderr).toContain('No worker named "billing" in this dev server. Its workers: gateway (the entry worker), auth, store.');
  });

  test("--do by name runs inside the live instance: its in-memory field, its SQLite storage; the app then sees the write", async () => {
    expect(await getJson("/counter/hit?name=alpha")).toEqual({ hits: 1, stored: 1 });
    expect(await getJson("/counter/hit?name=alpha")).toEqual({ hits: 2, stored: 2 });
    const result = (await resultOf(project.dir, ["--do", "COUNTER:alpha", "set-hits", "10"])) as Record<string, unknown>;
    expect(result).toMatchObject({ before: { hits: 2, stored: 2 }, className: "Counter" });
    expect(await getJson("/counter/read?name=alpha")).toEqual({ hits: 10, stored: 10 });

    // By id: the same instance, found with idFromString.
    const id = await resultOf(project.dir, ["-e", "env.COUNTER.idFromName('alpha').toString()"]);
    expect(id).toBe(result.id);
    expect(await resultOf(project.dir, ["--do", `COUNTER:id:${String(id)}`, "-e", "instance.hits"])).toBe(10);
  });

  test("the wrapped class keeps its alarm and its hibernatable WebSocket handlers", async () => {
    expect(await resultOf(project.dir, ["--do", "COUNTER:epsilon", "-e", "instance.rang"])).toBe(false);
    expect(await getJson("/counter/alarm?name=epsilon")).toEqual({ alarm: "set" });
    const deadline = Date.now() + 10_000;
    while (!((await getJson("/counter/rang?name=epsilon")) as { rang: boolean }).rang) {
      if (Date.now() > deadline) throw new Error("The Counter's alarm did not ring within 10 s.");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const socket = new WebSocket(new URL("/counter/ws?name=epsilon", dev.url.replace(/^http/, "ws")));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve(), { once: true });
        socket.addEventListener("error", () => reject(new Error("The WebSocket did not open.")), { once: true });
      });
      const echoed = new Promise<string>((resolve) => socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true }));
      socket.send("hi");
      expect(await echoed).toBe("echo:hi hits:0");
      // Inside the object, the accepted socket is there.
      expect(await resultOf(project.dir, ["--do", "COUNTER:epsilon", "-e", "state.getWebSockets().length"])).toBe(1);
    } finally {
      socket.close();
    }
  });

  test("--do with -e: instance and state are in scope", async () => {
    const seen = await resultOf(project.dir, [
      "--do",
      "COUNTER:beta",
      "-e",
      "({ name: instance.constructor.name, rows: state.storage.sql.exec('SELECT n FROM hits').toArray() })",
    ]);
    expect(seen).toEqual({ name: "Counter", rows: [{ n: 0 }] });
  });

  test("--do on a key-value-backed object (no base class): its memory and storage.get/put", async () => {
    expect(await getJson("/legacy?name=gamma&v=first")).toEqual({ memory: "first", stored: "first" });
    expect(await resultOf(project.dir, ["--do", "LEGACY:gamma", "legacy-set", "second"])).toEqual({
      memory: "first",
      stored: "second",
    });
    expect(await getJson("/legacy?name=gamma")).toEqual({ memory: "first", stored: "second" });
  });

  test("--do on an auxiliary worker's object: from the entry through its binding (script_name), and with --worker", async () => {
    expect(await resultOf(project.dir, ["--do", "SHELF:delta", "add-book", "Dune"])).toBe(1);
    expect(await resultOf(project.dir, ["--worker", "store", "--do", "SHELF:delta", "add-book", "Emma"])).toBe(2);
    expect(await getJson("/shelf?name=delta")).toEqual({ count: 2 });
  });

  test("Ctrl-C reaches a run in an object of another worker: its signal aborts, it cleans up, exit 130", async () => {
    // SHELF's class lives in the store worker: the cancel must reach that worker's isolate.
    const running = spawnCli(["--do", "SHELF:cancel", "wait-for-cancel", "on-cancel"], { cwd: project.dir });
    await waitForOutput(running, "stdout", "waiting");
    process.kill(running.pid, "SIGINT");
    const result = await running.exited;
    expectExit(result, 130);
    expect(await resultOf(project.dir, ["--do", "SHELF:cancel", "-e", "state.storage.sql.exec('SELECT title FROM books').toArray()"])).toEqual([
      { title: "on-cancel" },
    ]);
  });

  test("--do: every bad target is exit 2 with a message that says what to do", async () => {
    const namespaces = "Its Durable Object namespaces: COUNTER, LEGACY, SHELF, FAR.";
    await expectUsageError(project.dir, ["--do", "NOPE:x", "-e", "1"], `No binding NOPE in the env of the worker "gateway". ${namespaces}`);
    await expectUsageError(
      project.dir,
      ["--do", "DB:x", "-e", "1"],
      `The binding DB of the worker "gateway" is a D1Database, not a Durable Object namespace. ${namespaces}`,
    );
    await expectUsageError(
      project.dir,
      ["--do", "AUTH:x", "-e", "1"],
      `The binding AUTH of the worker "gateway" is a service binding (Fetcher), not a Durable Object namespace. ${namespaces}`,
    );
    await expectUsageError(
      project.dir,
      ["--do", "FAR:x", "-e", "1"],
      'The Durable Object namespace FAR of the worker "gateway" belongs to the worker "elsewhere" (script_name), which this dev server does not run. Add that worker to cloudflare({ auxiliaryWorkers }) in the Vite config, or run the script in the dev server that runs it.',
    );
    await expectUsageError(
      project.dir,
      ["--do", "COUNTER:id:not-hex", "-e", "1"],
      '--do: "not-hex" is not a Durable Object id: an id is 64 hex digits (what id.toString() gives). For an object by name, use COUNTER:<name>.',
    );
    // 64 hex digits, but not an id of this namespace.
    const zeros = "0".repeat(64);
    await expectUsageError(
      project.dir,
      ["--do", `COUNTER:id:${zeros}`, "-e", "1"],
      `"${zeros}" is not an id of the Durable Object namespace COUNTER: pass the 64 hex digits of an id of that namespace (what id.toString() gives), or COUNTER:<name> for idFromName.`,
    );
    await expectUsageError(
      project.dir,
      ["--do", "COUNTER", "-e", "1"],
      '--do takes <binding>:<name> or <binding>:id:<hex>, not "COUNTER" (for example --do COUNTER:user-1).',
    );
    await expectUsageError(project.dir, ["--do", "COUNTER:", "-e", "1"], "--do: the object's name is empty. Use COUNTER:<name> or COUNTER:id:<hex>.");
    await expectUsageError(
      project.dir,
      ["--do", "my-do:x", "-e", "1"],
      '--do: "my-do" is not a binding name (the name of a Durable Object namespace in env, e.g. COUNTER).',
    );
    await expectUsageError(project.dir, ["--worker", "", "whoami"], "--worker takes a name, not an empty string.");
    // A script made for --do (defineObjectScript), run without it.
    await expectUsageError(
      project.dir,
      ["set-hits", "1"],
      `"${path.join(project.dir, "src/scripts/set-hits.ts")}" runs inside a Durable Object (defineObjectScript): name the instance with --do <binding>:<name>, e.g. --do COUNTER:user-1.`,
    );
  });

  test("a worker-run request to an object from the app's own code, or from another worker, is refused and runs nothing", async () => {
    const refused = { status: 403, body: { ok: false, kind: "forbidden", error: { name: "Forbidden", message: "Missing or wrong worker-run token." } } };
    expect(await getJson("/counter/poke?name=poked")).toEqual(refused);
    // The auth worker calls the gateway's object through its own binding (script_name).
    expect(await getJson("/auth/poke")).toEqual(refused);
    // Nothing ran in the object's isolate.
    expect(await resultOf(project.dir, ["--do", "COUNTER:poked", "-e", "globalThis.poked ?? false"])).toBe(false);
  });

  test("a request for an auxiliary worker without the token, or with it from a foreign origin, runs nothing", async () => {
    const record = readRecord(project.dir, path.join(project.dir, "vite.config.mts"), "development");
    expect(record, "the vite dev's discovery record").toBeDefined();
    const body = JSON.stringify({ eval: "globalThis.reached = true", args: [] });
    const headers = { "content-type": "application/json", [WORKER_HEADER]: "auth", [RUN_ID_HEADER]: "attack-1" };
    const withoutToken = await rawRequest(dev.url, { path: ROUTE_PATH, headers: { ...headers, [TOKEN_HEADER]: "wrong" }, body });
    expect(withoutToken.status, withoutToken.body).toBe(403);
    expect(JSON.parse(withoutToken.body)).toMatchObject({ kind: "forbidden", error: { message: "Missing or wrong worker-run token." } });
    const foreign = await rawRequest(dev.url, {
      path: ROUTE_PATH,
      headers: { ...headers, [TOKEN_HEADER]: record!.token, origin: "https://evil.example" },
      body,
    });
    expect(foreign.status, foreign.body).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ kind: "forbidden", error: { message: "Cross-origin requests cannot run scripts." } });
    expect(await resultOf(project.dir, ["--worker", "auth", "-e", "globalThis.reached ?? false"])).toBe(false);
  });
});

describe("--worker and --do in a dev server the launcher starts", () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await copyProject(FIXTURE, "multi-worker-cold");
  });

  afterAll(async () => {
    await removeProject(project);
  });

  test("--list with no vite dev running learns the workers from the project's dev server, started for a moment", async () => {
    const plain = await runCli(["--list"], { cwd: project.dir });
    expectExit(plain, 0);
    expect(plain.stdout).toContain("\n\nWorkers (--worker <name>): gateway (entry), auth, store\n");
    expect(plain.stderr).toBe("");
  });

  test("--no-attach --worker store, and --do with -e", async () => {
    expect(await resultOf(project.dir, ["--no-attach", "--worker", "store", "whoami"])).toEqual({
      role: "store",
      bindings: ["ROLE", "SHELF", "STOCK"],
    });
    expect(await resultOf(project.dir, ["--no-attach", "--do", "SHELF:cold", "add-book", "Persuasion"])).toBe(1);
    expect(await resultOf(project.dir, ["--no-attach", "--worker", "store", "--do", "SHELF:cold", "-e", "state.storage.sql.exec('SELECT title FROM books').toArray()"])).toEqual([
      { title: "Persuasion" },
    ]);
  });

  test("runScript({ worker, durableObject }) from a program", async () => {
    const { runScript } = (await import("vite-plugin-worker-run")) as typeof import("../../index.js");
    const output = { stdout: () => {}, stderr: () => {} };
    const inAuth = await runScript({ script: "whoami", cwd: project.dir, worker: "auth", attach: false, output });
    expect(inAuth).toMatchObject({ ok: true, exitCode: 0, result: { role: "auth" } });
    const inObject = await runScript({
      script: "--eval",
      eval: "state.storage.sql.exec('SELECT COUNT(*) AS n FROM books').one().n",
      cwd: project.dir,
      durableObject: { binding: "SHELF", name: "cold" },
      attach: false,
      output,
    });
    expect(inObject).toMatchObject({ ok: true, exitCode: 0, result: 1 });
    const unknown = await runScript({ script: "whoami", cwd: project.dir, worker: "billing", attach: false, output });
    expect(unknown).toMatchObject({ ok: false, exitCode: 2, kind: "usage" });
  });
});
