// The route claims only requests that speak worker-run's protocol (they
// carry its token header). Other tools use the same path: RedwoodSDK's own `worker-run` sends
// `GET /__worker-run?script=…` with its own token header, and its app answers it. Against one
// dev server of tests/fixtures/foreign-route, whose app answers /__worker-run itself (JSON that
// echoes what it received, status 200 for its own protocol, 418 for anything else there):
// requests without our header reach that app untouched, requests with it are the dispatcher's,
// and none without the right token imports anything. "Imported" is detectable: marker.ts logs
// a distinctive line and writes a KV marker at its top level; the last test of the server's
// block runs it with a valid request, which proves both detectors see an import.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER } from "../../shared/protocol.js";
import { runCliBounded } from "../helpers/cli-bounded.js";
import { postRun, rawRequest, startTestServer, type RawResponse, type TestServer } from "../helpers/dev-server.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { describeRun } from "../helpers/run-cli.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";

const FIXTURE = path.join(FIXTURES_DIR, "foreign-route");
const MARKER_LOG = "FOREIGN-ROUTE-FIXTURE: marker.ts was imported";
const MARKER_SCRIPT = "src/scripts/marker.ts";
const READ_MARKER_SCRIPT = "src/scripts/read-marker.ts";
// The fixture app's own protocol (src/index.ts), shaped like rwsdk's.
const FOREIGN_TOKEN_HEADER = "x-rwsdk-worker-run-token";
const FOREIGN_TOKEN = "rwsdk-fixture-token";

/** What the launcher would post: a run of marker.ts, as JSON. */
const LAUNCHER_BODY = JSON.stringify({ script: MARKER_SCRIPT, args: [], runId: "r-1", stream: true, owner: 1 });

/** The fixture app's answer on the route, as it builds it. */
interface AppAnswer {
  app: "foreign-route";
  ran?: string | null;
  refused?: string;
  received: {
    method: string;
    search: string;
    contentType: string | null;
    foreignToken: string | null;
    body: string | null;
  };
}

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(FIXTURE);
});

afterAll(async () => {
  await project?.remove();
});

const summary = (response: RawResponse): string =>
  `${response.status} ${JSON.stringify(response.headers)}\n${response.body.slice(0, 600)}`;

/** The app answered (its own header, its JSON) and the dispatcher did not (no marker). */
function expectAppAnswer(response: RawResponse, status: number): AppAnswer {
  expect(response.headers[RESPONSE_MARKER_HEADER], summary(response)).toBeUndefined();
  expect(response.headers["x-foreign-app"], summary(response)).toBe("1");
  expect(response.status, summary(response)).toBe(status);
  const answer = JSON.parse(response.body) as AppAnswer;
  expect(answer.app, summary(response)).toBe("foreign-route");
  return answer;
}

/** The dispatcher refused it: a 4xx with the marker, as the route's own JSON. */
function expectDispatcherRefusal(response: RawResponse, status: number, server: TestServer): void {
  expect(response.headers[RESPONSE_MARKER_HEADER], summary(response)).toBe("1");
  expect(response.headers["x-foreign-app"], summary(response)).toBeUndefined();
  expect(response.status, summary(response)).toBe(status);
  expect(JSON.parse(response.body), summary(response)).toMatchObject({ ok: false, kind: "forbidden" });
  expect(response.body.includes(server.token), "the server's token in the body").toBe(false);
}

/** The KV marker, read with a valid request (null: marker.ts was never imported). */
async function readMarker(server: TestServer): Promise<unknown> {
  const response = await postRun(server, { script: READ_MARKER_SCRIPT });
  expect(response.status, summary(response)).toBe(200);
  expect(response.headers[RESPONSE_MARKER_HEADER], summary(response)).toBe("1");
  const answer = JSON.parse(response.body) as { ok: boolean; result?: unknown };
  expect(answer.ok, response.body).toBe(true);
  return answer.result;
}

async function expectNothingImported(server: TestServer): Promise<void> {
  const lines = server.logs.map((entry) => entry.message).filter((message) => message.includes(MARKER_LOG));
  expect(lines).toEqual([]);
  expect(await readMarker(server)).toBeNull();
}

/** One request with an absolute-form target (`POST http://localhost:<port>/__worker-run`). */
function absoluteForm(
  server: TestServer,
  request: { method: string; target: string; headers: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const { port } = new URL(server.url);
  return rawRequest(server.url, {
    method: request.method,
    target: request.target,
    headers: { host: `localhost:${port}`, ...request.headers },
    body: request.body,
  });
}

describe("one dev server of an app that answers /__worker-run itself", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(project.dir);
  });
  afterAll(async () => {
    await server?.close();
  });

  test("the app answers its other paths (the fixture works)", async () => {
    const response = await rawRequest(server.url, { method: "GET", path: "/" });
    expect(response.status, summary(response)).toBe(200);
    expect(response.body).toBe("foreign-route fixture: the app answered.\n");
    expect(response.headers[RESPONSE_MARKER_HEADER]).toBeUndefined();
  });

  test("(a) an rwsdk-style GET with its own header gets exactly the app's answer", async () => {
    const script = "file:///project/src/scripts/seed.ts";
    const response = await rawRequest(server.url, {
      method: "GET",
      path: `${ROUTE_PATH}?script=${encodeURIComponent(script)}`,
      headers: { [FOREIGN_TOKEN_HEADER]: FOREIGN_TOKEN, accept: "*/*" },
    });
    const answer = expectAppAnswer(response, 200);
    expect(answer).toEqual({
      app: "foreign-route",
      ran: script,
      received: {
        method: "GET",
        search: `?script=${encodeURIComponent(script)}`,
        contentType: null,
        foreignToken: FOREIGN_TOKEN,
        body: null,
      },
    });
    // Byte for byte what the app wrote.
    expect(response.body).toBe(JSON.stringify(answer));
    await expectNothingImported(server);
  });

  test("(b) a launcher-shaped JSON POST without our header reaches the app, body untouched", async () => {
    const response = await rawRequest(server.url, {
      headers: { "content-type": "application/json" },
      body: LAUNCHER_BODY,
    });
    const answer = expectAppAnswer(response, 418);
    expect(answer.received).toEqual({
      method: "POST",
      search: "",
      contentType: "application/json",
      foreignToken: null,
      body: LAUNCHER_BODY,
    });
    await expectNothingImported(server);
  });

  test("(c) a text/plain POST and a PUT without our header reach the app", async () => {
    const plain = await rawRequest(server.url, { headers: { "content-type": "text/plain" }, body: LAUNCHER_BODY });
    expect(expectAppAnswer(plain, 418).received).toMatchObject({
      method: "POST",
      contentType: "text/plain",
      body: LAUNCHER_BODY,
    });
    const put = await rawRequest(server.url, {
      method: "PUT",
      headers: { "content-type": "application/json", [FOREIGN_TOKEN_HEADER]: FOREIGN_TOKEN },
      body: LAUNCHER_BODY,
    });
    expect(expectAppAnswer(put, 418).received).toMatchObject({
      method: "PUT",
      foreignToken: FOREIGN_TOKEN,
      body: LAUNCHER_BODY,
    });
    await expectNothingImported(server);
  });

  test("(d) with our header but a wrong token, the dispatcher refuses it (403) and imports nothing", async () => {
    const wrong = server.token.slice(0, -1) + (server.token.endsWith("0") ? "1" : "0");
    for (const token of [wrong, `${server.token}0`, FOREIGN_TOKEN]) {
      const response = await rawRequest(server.url, {
        headers: { "content-type": "application/json", [TOKEN_HEADER]: token, [FOREIGN_TOKEN_HEADER]: FOREIGN_TOKEN },
        body: LAUNCHER_BODY,
      });
      expectDispatcherRefusal(response, 403, server);
      expect(response.body.includes(token), "the presented token in the body").toBe(false);
    }
    await expectNothingImported(server);
  });

  test("(d) our header with an empty value imports nothing, whoever answers", async () => {
    // Between Vite and workerd, a header with an empty value is dropped (any header, not only
    // ours), so the worker never sees this one and the app answers. Either answer is safe.
    const response = await rawRequest(server.url, {
      headers: { "content-type": "application/json", [TOKEN_HEADER]: "" },
      body: LAUNCHER_BODY,
    });
    if (response.headers[RESPONSE_MARKER_HEADER] === "1") expectDispatcherRefusal(response, 403, server);
    else expectAppAnswer(response, 418);
    await expectNothingImported(server);
  });

  test("(d) with our header (and the right token) a GET is refused 405 by the dispatcher", async () => {
    const response = await rawRequest(server.url, {
      method: "GET",
      path: `${ROUTE_PATH}?script=${encodeURIComponent(MARKER_SCRIPT)}`,
      headers: { [TOKEN_HEADER]: server.token, [FOREIGN_TOKEN_HEADER]: FOREIGN_TOKEN },
    });
    expectDispatcherRefusal(response, 405, server);
    await expectNothingImported(server);
  });

  test("(f) an absolute-form target without our header reaches the app; with it, it is refused", async () => {
    const target = `http://localhost:${new URL(server.url).port}${ROUTE_PATH}`;
    const without = await absoluteForm(server, {
      method: "POST",
      target,
      headers: { "content-type": "application/json" },
      body: LAUNCHER_BODY,
    });
    expect(expectAppAnswer(without, 418).received).toMatchObject({ method: "POST", body: LAUNCHER_BODY });

    const rwsdk = await absoluteForm(server, {
      method: "GET",
      target: `${target}?script=x`,
      headers: { [FOREIGN_TOKEN_HEADER]: FOREIGN_TOKEN },
    });
    expect(expectAppAnswer(rwsdk, 200).ran).toBe("x");

    const withOurs = await absoluteForm(server, {
      method: "POST",
      target,
      headers: { "content-type": "application/json", [TOKEN_HEADER]: server.token },
      body: LAUNCHER_BODY,
    });
    expectDispatcherRefusal(withOurs, 400, server);
    await expectNothingImported(server);
  });

  test("(e) with our header and the right token the script runs: both detectors see the import", async () => {
    const response = await postRun(server, { script: MARKER_SCRIPT });
    expect(response.status, summary(response)).toBe(200);
    expect(response.headers[RESPONSE_MARKER_HEADER], summary(response)).toBe("1");
    expect(JSON.parse(response.body), response.body).toMatchObject({ ok: true });
    await vi.waitFor(
      () => expect(server.logs.some((entry) => entry.message.includes(MARKER_LOG)), `no "${MARKER_LOG}"`).toBe(true),
      { timeout: 10_000 },
    );
    expect(await readMarker(server)).toBe("imported");
  });
});

describe("the launcher in the same project", () => {
  test("(g) worker-run src/scripts/read-marker.ts still works, cold", async () => {
    const result = await runCliBounded(["--json", READ_MARKER_SCRIPT], { cwd: project.dir });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stderr, describeRun(result)).toContain("Starting the dev server…");
    expect(result.stderr, describeRun(result)).not.toContain("Running in the dev server at");
    const output = JSON.parse(result.stdout) as { ok: boolean; result: unknown };
    expect(output.ok, describeRun(result)).toBe(true);
    // "imported" once the block above ran marker.ts in this copy; null if it was skipped.
    expect([null, "imported"], describeRun(result)).toContain(output.result);
  });
});
