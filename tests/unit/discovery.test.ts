/**
 * common/discovery.ts: the discovery record a `vite dev` with workerRun() writes, and the
 * checks a launcher makes before it trusts one, on real files in a private temp directory
 * ($XDG_RUNTIME_DIR points there for this file). Also launcher/attach.ts's confirmation of a
 * record that passes those checks, against small local HTTP servers instead of a dev server.
 *
 * tests/e2e/attach.test.ts keeps, against real `vite dev`, one record per kind of fallback
 * that needs a live server: a wrong token on the right port, and a process that is gone.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import {
  isPrivate,
  parseRecord,
  readRecord,
  recordDirectory,
  recordPath,
  removeRecord,
  writeRecord,
  type DiscoveryRecord,
} from "../../common/discovery.js";
import { findRunningServer } from "../../launcher/attach.js";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER } from "../../shared/protocol.js";

/** The temp directory $XDG_RUNTIME_DIR points to; records go to its `worker-run` folder. */
let runtimeDir: string;
/** Files outside the record directory (symlink targets), private to this user. */
let elsewhere: string;

const ROOT = "/projects/app";
const CONFIG = "/projects/app/vite.config.mts";
const MODE = "development";

beforeAll(() => {
  // realpath: on some systems the temp directory is reached through a symlink.
  runtimeDir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "worker-run-discovery-test-")));
  elsewhere = mkdtempSync(path.join(os.tmpdir(), "worker-run-discovery-elsewhere-"));
  vi.stubEnv("XDG_RUNTIME_DIR", runtimeDir);
});

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(runtimeDir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

// Each test starts without a record directory.
beforeEach(() => {
  rmSync(path.join(runtimeDir, "worker-run"), { recursive: true, force: true });
});

/** A record of a live server of the project (this test's own process), overridable. */
function recordOf(fields: Partial<DiscoveryRecord> = {}): DiscoveryRecord {
  return {
    version: 1,
    pid: process.pid,
    url: "http://127.0.0.1:5173/",
    token: randomBytes(32).toString("hex"),
    root: ROOT,
    configFile: CONFIG,
    mode: MODE,
    ...fields,
  };
}

/** The record file of the project this file reads. */
const file = (): string => recordPath(ROOT, CONFIG);

/**
 * Puts `content` (a record, or raw text) at the project's record path with file mode `mode`,
 * whatever the umask, in a private record directory: a record a server could have written.
 */
function plant(content: DiscoveryRecord | Record<string, unknown> | string, mode = 0o600): string {
  mkdirSync(recordDirectory(), { recursive: true, mode: 0o700 });
  const target = file();
  rmSync(target, { force: true });
  writeFileSync(target, typeof content === "string" ? content : JSON.stringify(content), { mode });
  chmodSync(target, mode);
  return target;
}

/** What a launcher of the project (same root, config and mode) reads. */
const read = (mode = MODE): DiscoveryRecord | undefined => readRecord(ROOT, CONFIG, mode);

/** A pid that just belonged to a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  const pid = child.pid!;
  expect(() => process.kill(pid, 0), `Expected pid ${pid} to be gone`).toThrow();
  return pid;
}

describe("recordPath", () => {
  test("one file per root and config file, in $XDG_RUNTIME_DIR/worker-run", () => {
    expect(recordDirectory()).toBe(path.join(runtimeDir, "worker-run"));
    expect(path.dirname(file())).toBe(path.join(runtimeDir, "worker-run"));
    expect(path.basename(file())).toMatch(/^[0-9a-f]{32}\.json$/);
    expect(recordPath(ROOT, CONFIG)).toBe(file());
    const others = [
      recordPath("/projects/other", CONFIG),
      recordPath(ROOT, "/projects/app/vite.config.ts"),
      recordPath(ROOT, undefined),
    ];
    expect(new Set([file(), ...others]).size).toBe(4);
  });

  test("without an absolute $XDG_RUNTIME_DIR, a folder of this user's in the temp directory", () => {
    const own = path.join(os.tmpdir(), `worker-run-${process.getuid!()}`);
    vi.stubEnv("XDG_RUNTIME_DIR", "");
    try {
      expect(recordDirectory()).toBe(own);
      vi.stubEnv("XDG_RUNTIME_DIR", "relative/dir");
      expect(recordDirectory()).toBe(own);
      expect(path.dirname(recordPath(ROOT, CONFIG))).toBe(own);
    } finally {
      vi.stubEnv("XDG_RUNTIME_DIR", runtimeDir);
    }
  });
});

describe("writeRecord", () => {
  test("writes the record at the project's path, mode 0600 in a 0700 directory, whatever the umask", () => {
    const record = recordOf();
    const previous = process.umask(0);
    let written: string;
    try {
      written = writeRecord(record);
    } finally {
      process.umask(previous);
    }
    expect(written).toBe(file());
    expect(JSON.parse(readFileSync(written, "utf8"))).toEqual(record);
    expect(lstatSync(written).mode & 0o777).toBe(0o600);
    expect(lstatSync(path.dirname(written)).mode & 0o777).toBe(0o700);
    // Atomic: the temp file was renamed, none is left behind.
    expect(readdirSync(path.dirname(written))).toEqual([path.basename(written)]);
    expect(read()).toEqual(record);
  });

  test("replaces the record of an earlier server of the project", () => {
    writeRecord(recordOf({ pid: 1 }));
    const newer = recordOf();
    writeRecord(newer);
    expect(read()).toEqual(newer);
  });

  test("a record with no config file is the project's record for no config file", () => {
    const record = recordOf({ configFile: null });
    const written = writeRecord(record);
    expect(written).toBe(recordPath(ROOT, undefined));
    expect(readRecord(ROOT, undefined, MODE)).toEqual(record);
  });

  test("refuses a record directory that others can read, or that is a symlink", () => {
    mkdirSync(recordDirectory(), { mode: 0o700 });
    chmodSync(recordDirectory(), 0o755);
    expect(() => writeRecord(recordOf())).toThrow(/is not a directory that only you can read/);
    expect(existsSync(file())).toBe(false);

    rmSync(recordDirectory(), { recursive: true });
    const target = mkdtempSync(path.join(elsewhere, "dir-"));
    symlinkSync(target, recordDirectory());
    expect(() => writeRecord(recordOf())).toThrow(/is not a directory that only you can read/);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe("readRecord: the record of a running server of the same project", () => {
  test("control: a record as the server writes it, of a live process, is read as it is", () => {
    const record = recordOf();
    plant(record);
    expect(read()).toEqual(record);
    expect(existsSync(file())).toBe(true);
  });

  test("no record: nothing", () => {
    expect(read()).toBeUndefined();
    mkdirSync(recordDirectory(), { mode: 0o700 });
    expect(read()).toBeUndefined();
  });

  test("a record of a process that is gone is ignored, and removed", async () => {
    const target = plant(recordOf({ pid: await deadPid() }));
    expect(read()).toBeUndefined();
    expect(existsSync(target), "Expected the stale record to be removed").toBe(false);
  });

  test("a record others may read or write is ignored, even with everything else right", () => {
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o660]) {
      plant(recordOf(), mode);
      expect(read(), `mode ${mode.toString(8)}`).toBeUndefined();
    }
  });

  test("a record in a directory others may read is ignored", () => {
    plant(recordOf());
    chmodSync(recordDirectory(), 0o755);
    expect(read()).toBeUndefined();
    chmodSync(recordDirectory(), 0o700);
    expect(read()).toBeDefined(); // the control
  });

  test("a record that is a symlink is ignored, even to a private file holding a good record", () => {
    const record = recordOf();
    const target = path.join(elsewhere, "record.json");
    writeFileSync(target, JSON.stringify(record), { mode: 0o600 });
    chmodSync(target, 0o600);
    mkdirSync(recordDirectory(), { mode: 0o700 });
    symlinkSync(target, file());
    expect(read()).toBeUndefined();
    expect(readFileSync(target, "utf8"), "the symlink's target is left alone").toBe(JSON.stringify(record));
  });

  test("a record directory that is a symlink (to a private directory with a good record) is ignored", () => {
    const record = recordOf();
    const target = mkdtempSync(path.join(elsewhere, "dir-"));
    writeFileSync(path.join(target, path.basename(file())), JSON.stringify(record), { mode: 0o600 });
    symlinkSync(target, recordDirectory());
    expect(read()).toBeUndefined();
  });

  test("something other than a file at the record path, or a file too large for a record, is ignored", () => {
    mkdirSync(file(), { recursive: true, mode: 0o700 });
    expect(read()).toBeUndefined();
    rmSync(file(), { recursive: true });
    plant(`${JSON.stringify(recordOf())}${" ".repeat(5000)}`);
    expect(read()).toBeUndefined();
  });

  test("a record of another Vite mode, root or config file (at this project's path) is ignored", () => {
    const cases: [string, Partial<DiscoveryRecord>][] = [
      ["another mode", { mode: "production" }],
      ["another root", { root: "/projects/other" }],
      ["another config file", { configFile: "/projects/app/vite.config.ts" }],
      ["no config file", { configFile: null }],
    ];
    for (const [name, fields] of cases) {
      plant(recordOf(fields));
      expect(read(), name).toBeUndefined();
    }
    // The record of another mode is the one a launcher of that mode uses.
    const production = recordOf({ mode: "production" });
    plant(production);
    expect(read("production")).toEqual(production);
  });

  test("a record that is not JSON, or not exactly a record, is ignored", () => {
    const good = recordOf();
    const cases: [string, string | Record<string, unknown>][] = [
      ["empty", ""],
      ["malformed JSON", JSON.stringify(good).slice(0, -1)],
      ["an array", `[${JSON.stringify(good)}]`],
      ["an extra key", { ...good, extra: true }],
      ["a key missing", { ...good, mode: undefined }],
      ["a non-loopback URL", { ...good, url: "http://10.0.0.5:5173/" }],
      ["a bad token", { ...good, token: "0".repeat(63) }],
    ];
    for (const [name, content] of cases) {
      plant(content);
      expect(read(), name).toBeUndefined();
    }
    plant(good);
    expect(read()).toEqual(good); // the control
  });
});

describe("parseRecord: exactly the fields of a record, of the right forms", () => {
  const good = recordOf();

  test("accepts a record, with a loopback URL of any of the three forms, and no config file", () => {
    expect(parseRecord(JSON.parse(JSON.stringify(good)))).toEqual(good);
    for (const url of ["http://127.0.0.1:5173/", "http://[::1]:5173/", "http://localhost:1/", "http://127.0.0.1:65535/"]) {
      expect(parseRecord({ ...good, url }), url).toEqual({ ...good, url });
    }
    expect(parseRecord({ ...good, configFile: null })).toEqual({ ...good, configFile: null });
  });

  test("the workers' names are optional; when given, a short list of worker names", () => {
    expect(parseRecord({ ...good, workers: ["gateway", "auth", "my.store-2"] })).toEqual({
      ...good,
      workers: ["gateway", "auth", "my.store-2"],
    });
    expect(parseRecord({ ...good, workers: [] })).toEqual({ ...good, workers: [] });
    for (const workers of ["gateway", [1], ["a b"], ["../x"], [""], ["x".repeat(101)], Array.from({ length: 65 }, (_, i) => `w${i}`), null]) {
      expect(parseRecord({ ...good, workers }), JSON.stringify(workers)).toBeUndefined();
    }
  });

  test("rejects what is not an object", () => {
    for (const input of [null, undefined, "record", 1, true, [good]]) {
      expect(parseRecord(input), JSON.stringify(input)).toBeUndefined();
    }
  });

  test("rejects extra keys and missing keys", () => {
    expect(parseRecord({ ...good, extra: 1 })).toBeUndefined();
    expect(parseRecord({ ...good, constructor: 1 })).toBeUndefined();
    for (const key of Object.keys(good)) {
      const missing: Record<string, unknown> = { ...good };
      delete missing[key];
      expect(parseRecord(missing), `without ${key}`).toBeUndefined();
    }
  });

  test("rejects a URL that is not a loopback http: origin with a port and nothing else", () => {
    for (const url of [
      "http://10.0.0.5:5173/",
      "http://192.168.1.2:5173/",
      "http://0.0.0.0:5173/",
      "http://example.com:5173/",
      "http://127.0.0.1.example.com:5173/",
      "http://localhost.example.com:5173/",
      "http://127.0.0.1:5173@example.com/",
      "https://127.0.0.1:5173/",
      "ws://127.0.0.1:5173/",
      "http://127.0.0.1/",
      "http://127.0.0.1:5173",
      "http://127.0.0.1:5173/path/",
      "http://127.0.0.1:5173/?q",
      "http://127.0.0.2:5173/",
      "http://[::1]:5173/x",
      "http://127.0.0.1:123456/",
      " http://127.0.0.1:5173/",
      "http://127.0.0.1:5173/\n",
      "",
    ]) {
      expect(parseRecord({ ...good, url }), JSON.stringify(url)).toBeUndefined();
    }
    expect(parseRecord({ ...good, url: 5173 })).toBeUndefined();
  });

  test("rejects a token that is not 64 lowercase hex digits", () => {
    for (const token of ["", "0".repeat(63), "0".repeat(65), "A".repeat(64), "g".repeat(64), `${"0".repeat(63)}\n`, 7]) {
      expect(parseRecord({ ...good, token }), JSON.stringify(token)).toBeUndefined();
    }
  });

  test("rejects a wrong version, pid, root, config file or mode", () => {
    const cases: Record<string, unknown>[] = [
      { version: 2 },
      { version: "1" },
      { pid: 0 },
      { pid: -1 },
      { pid: 1.5 },
      { pid: "1234" },
      { root: "projects/app" },
      { root: null },
      { configFile: "vite.config.mts" },
      { configFile: 1 },
      { mode: "" },
      { mode: null },
    ];
    for (const fields of cases) {
      expect(parseRecord({ ...good, ...fields }), JSON.stringify(fields)).toBeUndefined();
    }
  });
});

describe("removeRecord", () => {
  test("removes the record that holds the token, not one another server wrote over it", () => {
    const first = recordOf();
    writeRecord(first);
    const second = recordOf();
    writeRecord(second);
    removeRecord(file(), first.token);
    expect(read(), "the newer server's record stays").toEqual(second);
    removeRecord(file(), second.token);
    expect(existsSync(file())).toBe(false);
    expect(() => removeRecord(file(), second.token), "no record: nothing to do").not.toThrow();
  });

  test("does not remove a record it would not trust, whatever its token", () => {
    const record = recordOf();
    const target = plant(record, 0o644);
    removeRecord(target, record.token);
    expect(existsSync(target)).toBe(true);
  });
});

describe("isPrivate", () => {
  test("a file or directory of this user's with no group or other permission bits, not a symlink", () => {
    const dir = mkdtempSync(path.join(elsewhere, "private-"));
    const inner = path.join(dir, "file");
    writeFileSync(inner, "{}", { mode: 0o600 });
    chmodSync(inner, 0o600);
    expect(isPrivate(dir, "directory")).toBe(true);
    expect(isPrivate(inner, "file")).toBe(true);
    expect(isPrivate(dir, "file"), "a directory is not a file").toBe(false);
    expect(isPrivate(inner, "directory"), "a file is not a directory").toBe(false);
    expect(isPrivate(path.join(dir, "missing"), "file")).toBe(false);

    const link = path.join(dir, "link");
    symlinkSync(inner, link);
    expect(isPrivate(link, "file")).toBe(false);

    for (const mode of [0o640, 0o604, 0o610, 0o601]) {
      chmodSync(inner, mode);
      expect(isPrivate(inner, "file"), mode.toString(8)).toBe(false);
    }
    chmodSync(dir, 0o750);
    expect(isPrivate(dir, "directory")).toBe(false);
    chmodSync(dir, 0o700);
  });
});

/** A loopback HTTP server that answers the route as `answer` says, and remembers the requests. */
async function fakeServer(
  answer: (request: http.IncomingMessage, response: http.ServerResponse) => void,
): Promise<{ url: string; requests: { path: string; token: string | undefined; body: string }[]; close(): Promise<void> }> {
  const requests: { path: string; token: string | undefined; body: string }[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      requests.push({ path: request.url ?? "", token: request.headers[TOKEN_HEADER] as string | undefined, body });
      answer(request, response);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // One that never answered must not hold the close.
      }),
  };
}

/** Answers as worker-run's dispatcher does (its marker header), with `status` and `body`. */
function dispatcherAnswer(status: number, body: unknown): (request: http.IncomingMessage, response: http.ServerResponse) => void {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", [RESPONSE_MARKER_HEADER]: "1" });
    response.end(JSON.stringify(body));
  };
}

describe("findRunningServer: a record that passes the checks is confirmed with an authenticated request", () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  test("control: a server that answers the token as the dispatcher does is used, and its record kept", async () => {
    const server = await fakeServer(dispatcherAnswer(200, { ok: true, result: null }));
    servers.push(server);
    const record = recordOf({ url: server.url });
    plant(record);
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toEqual({ url: server.url, token: record.token, pid: process.pid });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.path).toBe(ROUTE_PATH);
    expect(server.requests[0]!.token).toBe(record.token);
    expect(JSON.parse(server.requests[0]!.body), "it runs nothing").not.toHaveProperty("script");
    expect(existsSync(file())).toBe(true);
  });

  test("a live process, but nothing listens on the record's port: ignored, and removed", async () => {
    const server = await fakeServer(dispatcherAnswer(200, { ok: true, result: null }));
    const url = server.url;
    await server.close(); // a port that was just free
    plant(recordOf({ url }));
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toBeUndefined();
    expect(existsSync(file()), "Expected the stale record to be removed").toBe(false);
  });

  test("the dispatcher refuses the record's token (403): ignored, and removed", async () => {
    const server = await fakeServer(
      dispatcherAnswer(403, { ok: false, kind: "forbidden", error: { name: "Forbidden", message: "Missing or wrong worker-run token." } }),
    );
    servers.push(server);
    plant(recordOf({ url: server.url }));
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    expect(existsSync(file()), "Expected the record to be removed").toBe(false);
  });

  test("a live server too slow to answer (a busy machine): not used this time, but its record kept", async () => {
    const server = await fakeServer(() => {}); // Takes the request, never answers.
    servers.push(server);
    plant(recordOf({ url: server.url }));
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    expect(existsSync(file()), "Expected the record to stay for the next launcher").toBe(true);
  }, 15_000);

  test("something else listens on the record's port (no dispatcher's marker): ignored, and removed", async () => {
    const server = await fakeServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ ok: true, result: null }));
    });
    servers.push(server);
    plant(recordOf({ url: server.url }));
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toBeUndefined();
    expect(existsSync(file())).toBe(false);
  });

  test("a record that fails the file checks is never sent a request", async () => {
    const server = await fakeServer(dispatcherAnswer(200, { ok: true, result: null }));
    servers.push(server);
    plant(recordOf({ url: server.url }), 0o644);
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toBeUndefined();
    plant(recordOf({ url: server.url, mode: "production" }));
    expect(await findRunningServer(ROOT, CONFIG, MODE)).toBeUndefined();
    expect(server.requests, "the token must not be sent anywhere").toEqual([]);
  });
});
