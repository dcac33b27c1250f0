// A web page the developer visits, in a real browser, tries every request a page can send
// to the route without the token (a text/plain form, no-cors and text/plain fetches, a JSON
// fetch behind a CORS preflight, and one that carries a guessed token header), against both
// loopback names of a real dev server. None of them may get a script imported. Requests
// without worker-run's header reach the app as if the plugin were not there; the one with
// it is refused by the worker's guard for its Origin.
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { ROUTE_PATH, RESPONSE_MARKER_HEADER, TOKEN_HEADER } from "../../shared/protocol.js";
import {
  MARKER_LOG_LINE,
  MARKER_SCRIPT,
  markerLogged,
  processesMentioning,
  readMarker,
  startAttackerServer,
  type AttackerServer,
} from "../helpers/attack.js";
import { postRun, startTestServer, type TestServer } from "../helpers/dev-server.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { descendantsOf } from "../helpers/processes.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What a page that does not know the token might send in worker-run's header. */
const GUESSED_TOKEN = "0".repeat(64);
/** The attack fixture's own answer to every request. */
const APP_ANSWER = "attack fixture: the app answered.";

/** The body the launcher sends, which every attempt tries to get past the route. */
const RUN_BODY = JSON.stringify({ script: MARKER_SCRIPT, args: [] });

/** What the attacker page reports back: one entry per attempt, then `done`. */
interface Attempt {
  kind: string;
  target: string;
  outcome: string;
}

/**
 * A text/plain form sends `name=value`, so the field's name carries the JSON up to a
 * throw-away key whose value absorbs the `=`: the body is the launcher's JSON, plus `pad`.
 */
const SMUGGLED_NAME = RUN_BODY.slice(0, -1) + ',"pad":"';
const SMUGGLED_VALUE = '"}';

/**
 * The attacker page. The forms target iframes so the page itself stays put; after the last
 * attempt it reports what it saw to its own server.
 */
function attackerPage(targets: string[]): string {
  const forms = targets
    .map(
      (target, index) => `
  <iframe name="sink${index}" id="sink${index}"></iframe>
  <form id="form${index}" method="POST" enctype="text/plain" target="sink${index}" action="${target}${ROUTE_PATH}">
    <input type="hidden" name='${SMUGGLED_NAME}' value='${SMUGGLED_VALUE}'>
  </form>`,
    )
    .join("");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>totally harmless page</title></head>
<body>${forms}
<script>
const targets = ${JSON.stringify(targets)};
const body = ${JSON.stringify(RUN_BODY)};
const attempts = [];
// Vite's default CORS policy lets loopback origins read answers; opaque ones stay hidden.
const outcome = async (response) =>
  response.type === "opaque" ? "opaque response" : "HTTP " + response.status + " " + (await response.text());
async function attempt(kind, target, send) {
  try {
    attempts.push({ kind, target, outcome: await outcome(await send(target + ${JSON.stringify(ROUTE_PATH)})) });
  } catch (error) {
    attempts.push({ kind, target, outcome: "rejected: " + error });
  }
}
function submitForm(index) {
  return new Promise((resolve) => {
    const frame = document.getElementById("sink" + index);
    const timer = setTimeout(() => resolve("no load event within 20 s"), 20000);
    frame.addEventListener("load", () => { clearTimeout(timer); resolve("iframe loaded"); }, { once: true });
    document.getElementById("form" + index).submit();
  });
}
(async () => {
  for (const [index, target] of targets.entries()) {
    attempts.push({ kind: "form text/plain", target, outcome: await submitForm(index) });
    await attempt("fetch no-cors", target, (url) => fetch(url, { method: "POST", mode: "no-cors", body }));
    await attempt("fetch no-cors + json header", target, (url) =>
      fetch(url, { method: "POST", mode: "no-cors", headers: { "content-type": "application/json" }, body }));
    await attempt("fetch text/plain", target, (url) =>
      fetch(url, { method: "POST", headers: { "content-type": "text/plain" }, body }));
    await attempt("fetch application/json (preflight)", target, (url) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }));
    await attempt("fetch application/json + guessed token (preflight)", target, (url) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", ${JSON.stringify(TOKEN_HEADER)}: ${JSON.stringify(GUESSED_TOKEN)} }, body }));
  }
  await fetch("/report", { method: "POST", keepalive: true, body: JSON.stringify({ done: true, attempts }) });
})();
</script>
</body></html>`;
}

/** A request to the route as the dev server received and answered it. */
interface Seen {
  method: string;
  host: string;
  origin: string;
  fetchSite: string;
  contentType: string;
  /** Whether it carried worker-run's token header. */
  token: boolean;
  status: number;
  /** The dispatcher's marker header: the worker's guard answered, not Vite. */
  fromDispatcher: boolean;
}

/**
 * Records every request to the route from the server side, where opaque (no-cors) and
 * form answers are as visible as any other. Only listens: Vite still handles each request.
 */
function recordRouteRequests(server: TestServer, seen: Seen[]): void {
  server.server.httpServer!.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (new URL(request.url ?? "/", "http://x").pathname !== ROUTE_PATH) return;
    response.on("finish", () => {
      seen.push({
        method: request.method ?? "",
        host: request.headers.host ?? "",
        origin: request.headers.origin ?? "",
        fetchSite: String(request.headers["sec-fetch-site"] ?? ""),
        contentType: request.headers["content-type"] ?? "",
        token: request.headers[TOKEN_HEADER] !== undefined,
        status: response.statusCode,
        fromDispatcher: response.getHeader(RESPONSE_MARKER_HEADER) === "1",
      });
    });
  });
}

describe("a web page in a real browser cannot get a script run", () => {
  let project: TempProject;
  let server: TestServer;
  let attacker: AttackerServer;
  let report: { done: true; attempts: Attempt[] };
  /** The browser's HOME: its crash handler, which detaches from our process tree, names it. */
  let browserHome: string | undefined;
  const seen: Seen[] = [];
  const browserProcesses: string[] = [];

  beforeAll(async () => {
    // A fresh copy: the marker lives in the project's local KV state, which must start empty.
    project = await copyProject(path.join(FIXTURES_DIR, "attack"));
    server = await startTestServer(project.dir);
    recordRouteRequests(server, seen);
    const port = new URL(server.url).port;
    attacker = await startAttackerServer(attackerPage([`http://127.0.0.1:${port}`, `http://localhost:${port}`]));
    browserHome = await mkdtemp(path.join(os.tmpdir(), "worker-run-chromium-"));
    let browser: Browser | undefined;
    try {
      // Playwright gives the browser a fresh temporary profile and deletes it on close; the
      // crash handler's database follows XDG_CONFIG_HOME, so it stays in browserHome too.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        env: { ...process.env, HOME: browserHome, XDG_CONFIG_HOME: path.join(browserHome, "config") },
      });
      const page = await browser.newPage();
      await page.goto(attacker.url);
      await vi.waitFor(
        () => {
          if (attacker.reports.length === 0) throw new Error("The attacker page has not reported yet.");
        },
        { timeout: 90_000, interval: 100 },
      );
      report = attacker.reports[0] as typeof report;
      browserProcesses.push(...descendantsOf(process.pid).map((info) => `${info.pid} ${info.name}`));
    } finally {
      await browser?.close();
    }
  });

  afterAll(async () => {
    await attacker?.close();
    await server?.close();
    await project?.remove();
    if (browserHome) await rm(browserHome, { recursive: true, force: true });
  });

  test("the form's text/plain body is the launcher's JSON", () => {
    expect(JSON.parse(`${SMUGGLED_NAME}=${SMUGGLED_VALUE}\r\n`)).toEqual({ ...JSON.parse(RUN_BODY), pad: "=" });
  });

  test("the page made every attempt against both loopback names", () => {
    const made = report.attempts.map((attempt) => `${attempt.kind} -> ${attempt.target}`);
    expect(made, JSON.stringify(report, null, 2)).toHaveLength(2 * 6);
    for (const attempt of report.attempts) {
      const label = `${attempt.kind} -> ${attempt.target}`;
      if (attempt.kind === "form text/plain") expect(attempt.outcome, label).toBe("iframe loaded");
      else if (attempt.kind.startsWith("fetch no-cors")) expect(attempt.outcome, label).toBe("opaque response");
      // The preflight passes (Vite's CORS allows loopback origins); the worker refuses the POST.
      else if (attempt.kind.includes("guessed token")) expect(attempt.outcome, label).toContain("HTTP 403 ");
      // Without worker-run's header the request is not worker-run's: the app answers it.
      else expect(attempt.outcome, label).toBe(`HTTP 200 ${APP_ANSWER}\n`);
    }
  });

  test("every POST reached the worker: the app answered those without worker-run's header, the guard refused the other", () => {
    const description = JSON.stringify({ seen, attempts: report.attempts }, null, 2);
    const posts = seen.filter((request) => request.method === "POST");
    // Per loopback name: the form, two no-cors fetches, the text/plain fetch, two JSON fetches.
    expect(posts, description).toHaveLength(2 * 6);
    for (const host of ["127.0.0.1", "localhost"]) {
      expect(posts.filter((request) => request.host.startsWith(`${host}:`)), description).toHaveLength(6);
    }
    for (const request of posts) {
      if (request.token) {
        // Only after a preflight, with a guessed token; refused for its Origin.
        expect(request, description).toMatchObject({ fromDispatcher: true, status: 403 });
      } else {
        expect(request, description).toMatchObject({ fromDispatcher: false, status: 200 });
      }
    }
    expect(posts.filter((request) => request.token), description).toHaveLength(2);
    // Nothing else reached the route but the preflights, which Vite's CORS middleware answered.
    for (const request of seen.filter((entry) => entry.method !== "POST")) {
      expect(request, description).toMatchObject({ method: "OPTIONS", fromDispatcher: false });
    }
  });

  test("the JSON fetch was refused for its origin, before the token was looked at", () => {
    const jsonFetches = report.attempts.filter((attempt) => attempt.kind.includes("guessed token"));
    expect(jsonFetches).toHaveLength(2);
    for (const attempt of jsonFetches) {
      expect(attempt.outcome, attempt.target).toContain("Cross-origin requests cannot run scripts.");
    }
  });

  test("marker.ts was never imported: no log line, no KV key", async () => {
    expect(markerLogged(server), server.logs.map((entry) => entry.message).join("\n")).toBe(false);
    expect(await readMarker(server)).toBeNull();
  });

  test("the browser is gone", async () => {
    expect(browserProcesses.some((entry) => /chrom/i.test(entry)), browserProcesses.join("\n")).toBe(true);
    await vi.waitFor(
      () => {
        const left = [
          ...descendantsOf(process.pid).filter((info) => /chrom/i.test(info.name) && info.state !== "Z"),
          ...processesMentioning(browserHome!),
        ];
        if (left.length) throw new Error(`Browser processes still alive: ${JSON.stringify(left)}`);
      },
      { timeout: 30_000, interval: 100 },
    );
  });

  test("the detection works: an authenticated run of marker.ts leaves both traces", async () => {
    const response = await postRun(server, { script: MARKER_SCRIPT });
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(markerLogged(server), `no "${MARKER_LOG_LINE}" in the logs`).toBe(true), {
      timeout: 10_000,
    });
    expect(await readMarker(server)).toBe("imported");
  });
});
