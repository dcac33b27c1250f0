// The Host allowlist is enforced inside the worker, so it holds even
// when Vite's own check is off (server.allowedHosts: true) and on requests sent straight
// to workerd's socket. Every request here carries the VALID token and a JSON body, so the
// Host check is the only thing that can refuse it.
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { RESPONSE_MARKER_HEADER, TOKEN_HEADER } from "../../shared/protocol.js";
import {
  MARKER_LOG_LINE,
  MARKER_SCRIPT,
  READ_MARKER_SCRIPT,
  markerLogged,
  readMarker,
  workerdListeningSockets,
  type ListeningSocket,
} from "../helpers/attack.js";
import { postRun, rawRequest, startTestServer, type TestServer } from "../helpers/dev-server.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const FIXTURE = path.join(FIXTURES_DIR, "attack");
const HOST_REFUSED = "This host is not allowed to run scripts.";

/** What one request got: an HTTP answer, or (status 0) the connection's error. */
interface Answer {
  status: number;
  body: string;
  fromDispatcher: boolean;
}

/** Posts an authenticated run of `script` to `baseUrl` with the given Host and extra headers. */
async function postWithHost(
  server: TestServer,
  baseUrl: string,
  host: string,
  script: string,
  extraHeaders: Record<string, string> = {},
): Promise<Answer> {
  try {
    const response = await rawRequest(baseUrl, {
      headers: { host, "content-type": "application/json", [TOKEN_HEADER]: server.token, ...extraHeaders },
      body: JSON.stringify({ script, args: [] }),
    });
    return {
      status: response.status,
      body: response.body,
      fromDispatcher: response.headers[RESPONSE_MARKER_HEADER] === "1",
    };
  } catch (error) {
    return { status: 0, body: String(error), fromDispatcher: false };
  }
}

/** Like {@link postWithHost}, but with an absolute-form request target (as sent to a proxy). */
function postAbsoluteForm(server: TestServer, target: string, host: string): Promise<Answer> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    const outgoing = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: target,
        setHost: false,
        agent: false,
        headers: { host, "content-type": "application/json", [TOKEN_HEADER]: server.token },
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body,
            fromDispatcher: response.headers[RESPONSE_MARKER_HEADER] === "1",
          }),
        );
      },
    );
    outgoing.on("error", (error) => resolve({ status: 0, body: String(error), fromDispatcher: false }));
    outgoing.end(JSON.stringify({ script: MARKER_SCRIPT, args: [] }));
  });
}

async function expectMarkerAbsent(server: TestServer): Promise<void> {
  expect(markerLogged(server), server.logs.map((entry) => entry.message).join("\n")).toBe(false);
  expect(await readMarker(server)).toBeNull();
}

async function expectDetectionWorks(server: TestServer): Promise<void> {
  const response = await postRun(server, { script: MARKER_SCRIPT });
  expect(response.status, response.body).toBe(200);
  await vi.waitFor(() => expect(markerLogged(server), `no "${MARKER_LOG_LINE}" in the logs`).toBe(true), {
    timeout: 10_000,
  });
  expect(await readMarker(server)).toBe("imported");
}

/** Starts the fixture's dev server on a fresh copy (fresh KV state, so no marker yet). */
function useServer(configFile?: string): { project: TempProject; server: TestServer } {
  const context = {} as { project: TempProject; server: TestServer };
  beforeAll(async () => {
    context.project = await copyProject(FIXTURE);
    context.server = await startTestServer(
      context.project.dir,
      configFile && path.join(context.project.dir, configFile),
    );
  });
  afterAll(async () => {
    await context.server?.close();
    await context.project?.remove();
  });
  return context;
}

describe("through Vite, default config", () => {
  const context = useServer();
  let port: string;
  beforeAll(() => {
    port = new URL(context.server.url).port;
  });

  test("loopback Host headers with the token are accepted (positive control)", async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const answer = await postWithHost(context.server, context.server.url, host, READ_MARKER_SCRIPT);
      expect(answer, host).toMatchObject({ status: 200, fromDispatcher: true });
      expect(JSON.parse(answer.body), host).toMatchObject({ ok: true, result: null });
    }
  });

  test("a foreign Host is refused and the script is not imported", async () => {
    for (const host of ["evil.example", `evil.example:${port}`]) {
      const answer = await postWithHost(context.server, context.server.url, host, MARKER_SCRIPT);
      // Vite's own allowedHosts check answers first here.
      expect(answer.status, `${host}: ${answer.body}`).toBe(403);
    }
    await expectMarkerAbsent(context.server);
  });

  describe("straight to workerd's own sockets, bypassing Vite", () => {
    let sockets: ListeningSocket[];
    beforeAll(() => {
      sockets = workerdListeningSockets(process.pid);
    });

    test("this test's workerd listens on loopback only", () => {
      expect(sockets.length, JSON.stringify(sockets)).toBeGreaterThan(0);
      expect(new Set(sockets.map((socket) => socket.pid)).size, JSON.stringify(sockets)).toBe(1);
      for (const socket of sockets) expect(socket.address, JSON.stringify(socket)).toBe("127.0.0.1");
    });

    test("a foreign Host is refused on every socket and the script is not imported", async () => {
      const answers: Record<string, Answer> = {};
      for (const socket of sockets) {
        const base = `http://127.0.0.1:${socket.port}`;
        for (const host of ["evil.example", `evil.example:${socket.port}`]) {
          answers[`${socket.port} Host: ${host}`] = await postWithHost(context.server, base, host, MARKER_SCRIPT);
        }
      }
      const description = JSON.stringify(answers, null, 2);
      for (const answer of Object.values(answers)) {
        // Either no HTTP at all (workerd's RPC socket hangs up), or the worker's guard refusing.
        if (answer.status === 0) continue;
        expect(answer, description).toMatchObject({ status: 403, fromDispatcher: true });
        expect(answer.body, description).toContain(HOST_REFUSED);
      }
      // At least one socket is the HTTP entry: the requests did reach the worker.
      expect(Object.values(answers).some((answer) => answer.fromDispatcher), description).toBe(true);
      await expectMarkerAbsent(context.server);
    });

    test("a DNS-rebinding page's request is refused there, even with MF-Original-URL", async () => {
      // The page at evil.example:<workerd port>, rebound to 127.0.0.1, is same-origin with the
      // socket, so it may set Miniflare's MF-Original-URL header (see the next test); but the
      // browser always adds the page's Origin to a POST, and that Origin is not the URL's.
      const answers: Record<string, Answer> = {};
      for (const socket of sockets) {
        const base = `http://127.0.0.1:${socket.port}`;
        const host = `evil.example:${socket.port}`;
        answers[`${socket.port}`] = await postWithHost(context.server, base, host, MARKER_SCRIPT, {
          "mf-original-url": `http://localhost:${socket.port}/__worker-run`,
          origin: `http://${host}`,
          "sec-fetch-site": "same-origin",
        });
      }
      const description = JSON.stringify(answers, null, 2);
      for (const answer of Object.values(answers)) {
        if (answer.status === 0) continue;
        expect(answer, description).toMatchObject({ status: 403, fromDispatcher: true });
        // Refused for its Origin today; a guard that also checks the Host header refuses it first.
        expect(answer.body, description).toMatch(/Cross-origin requests cannot run scripts\.|This host is not allowed/);
      }
      expect(Object.values(answers).some((answer) => answer.fromDispatcher), description).toBe(true);
      await expectMarkerAbsent(context.server);
    });

    test("a foreign Host stays refused when MF-Original-URL claims a loopback URL", async () => {
      // Miniflare's entry worker takes the request's URL from this header when present (Vite's
      // path overwrites it, a direct client sets it), and the guard reads the host from the
      // URL, not from the Host header, which stays evil.example. No Origin: not a browser.
      const answers: Record<string, Answer> = {};
      for (const socket of sockets) {
        const base = `http://127.0.0.1:${socket.port}`;
        answers[`${socket.port}`] = await postWithHost(context.server, base, "evil.example", MARKER_SCRIPT, {
          "mf-original-url": `http://localhost:${socket.port}/__worker-run`,
        });
      }
      const description = JSON.stringify(answers, null, 2);
      for (const answer of Object.values(answers)) {
        if (answer.status === 0) continue;
        expect(answer, description).toMatchObject({ status: 403, fromDispatcher: true });
        expect(answer.body, description).toContain(HOST_REFUSED);
      }
      expect(Object.values(answers).some((answer) => answer.fromDispatcher), description).toBe(true);
      await expectMarkerAbsent(context.server);
    });
  });

  test("the detection works: an authenticated run of marker.ts leaves both traces", async () => {
    await expectDetectionWorks(context.server);
  });
});

describe("through Vite with server.allowedHosts: true (only the worker's check stands)", () => {
  const context = useServer("vite.config.allowed-hosts.mts");
  let port: string;
  beforeAll(() => {
    port = new URL(context.server.url).port;
  });

  test("loopback Host headers with the token are accepted (positive control)", async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const answer = await postWithHost(context.server, context.server.url, host, READ_MARKER_SCRIPT);
      expect(answer, host).toMatchObject({ status: 200, fromDispatcher: true });
    }
  });

  test("a foreign Host is refused by the worker and the script is not imported", async () => {
    for (const host of ["evil.example", `evil.example:${port}`]) {
      const answer = await postWithHost(context.server, context.server.url, host, MARKER_SCRIPT);
      expect(answer, host).toMatchObject({ status: 403, fromDispatcher: true });
      expect(answer.body, host).toContain(HOST_REFUSED);
    }
    await expectMarkerAbsent(context.server);
  });

  test("a client's MF-Original-URL does not get a foreign Host through Vite", async () => {
    // Miniflare's dispatchFetch overwrites this header with the URL Vite built from the Host.
    const answer = await postWithHost(context.server, context.server.url, "evil.example", MARKER_SCRIPT, {
      "mf-original-url": `http://localhost:${port}/__worker-run`,
    });
    expect(answer, answer.body).toMatchObject({ status: 403, fromDispatcher: true });
    await expectMarkerAbsent(context.server);
  });

  test("an absolute-form request target does not smuggle a loopback host past a foreign Host", async () => {
    // `POST http://localhost:<port>/__worker-run` with `Host: evil.example`: Vite's check (off
    // here) would read the Host header, but the Cloudflare plugin builds the worker's URL from
    // the request target, which the guard then reads. Browsers only send this form to proxies.
    const answer = await postAbsoluteForm(context.server, `http://localhost:${port}/__worker-run`, "evil.example");
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
    expect(answer.status, answer.body).toBeLessThan(500);
    await expectMarkerAbsent(context.server);
  });

  test("the detection works: an authenticated run of marker.ts leaves both traces", async () => {
    await expectDetectionWorks(context.server);
  });
});
