// The route's defences (SECURITY.md), against real dev servers of tests/fixtures/security:
// every refused request gets a 4xx, never echoes the token it carried, and never imports
// the script. "Imported" is detectable: src/scripts/marker.ts logs a distinctive line and
// writes a KV marker at its top level. The last test of the first block runs it with a
// valid request, which proves both detectors see an import when one happens.
//
// The two servers of this file run one after the other, never at once: two Cloudflare
// plugin servers in one process share its Miniflare, and closing one breaks the other.
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { ROUTE_PATH, TOKEN_HEADER, VIRTUAL_ENTRY_ID } from "../../shared/protocol.js";
import {
  postRun,
  rawRequest,
  startTestServer,
  type RawRequest,
  type RawResponse,
  type TestServer,
} from "../helpers/dev-server.js";
import { FIXTURES_DIR, REPO_ROOT } from "../helpers/paths.js";

const MARKER_LOG = "SECURITY-FIXTURE: marker.ts was imported";
const OUTSIDE_LOG = "SECURITY-FIXTURE: outside.ts was imported";
const MARKER_SCRIPT = "src/scripts/marker.ts";
const READ_MARKER_SCRIPT = "src/scripts/read-marker.ts";
const runBody = (script: string): string => JSON.stringify({ script, args: [] });

// A script outside the project root that, if it were ever imported, would be just as visible.
const OUTSIDE_SCRIPT = `import { env } from "cloudflare:workers";
console.log(${JSON.stringify(OUTSIDE_LOG)});
await env.KV.put("marker", "outside");
`;

let parent: string;
let root: string;

beforeAll(async () => {
  // <repo>/.tmp/security-XXXX/{app/, outside.ts}: the project, and a script just outside it.
  await mkdir(path.join(REPO_ROOT, ".tmp"), { recursive: true });
  parent = await mkdtemp(path.join(REPO_ROOT, ".tmp", "security-"));
  root = path.join(parent, "app");
  await cp(path.join(FIXTURES_DIR, "security"), root, {
    recursive: true,
    filter: (file) => ![".wrangler", "node_modules", "dist"].includes(path.basename(file)),
  });
  await writeFile(path.join(parent, "outside.ts"), OUTSIDE_SCRIPT);
  await symlink(path.join(parent, "outside.ts"), path.join(root, "src/scripts/link.ts"));
});

afterAll(async () => {
  if (parent) await rm(parent, { recursive: true, force: true });
});

// --- helpers -------------------------------------------------------------------------------

/** The KV marker, read with a valid request (null: no script wrote it). */
async function readMarker(target: TestServer): Promise<unknown> {
  const response = await postRun(target, { script: READ_MARKER_SCRIPT });
  expect(response.status, response.body).toBe(200);
  const answer = JSON.parse(response.body) as { ok: boolean; result?: unknown };
  expect(answer.ok, response.body).toBe(true);
  return answer.result;
}

function importLogs(target: TestServer): string[] {
  return target.logs.map((line) => line.message).filter((message) => message.includes("SECURITY-FIXTURE"));
}

async function expectNothingImported(target: TestServer): Promise<void> {
  expect(importLogs(target)).toEqual([]);
  expect(await readMarker(target)).toBeNull();
}

/** "" if `needle` is absent from `text`, else the text around its first occurrence. */
function locate(text: string, needle: string): string {
  const at = text.indexOf(needle);
  return at === -1 ? "" : `…${text.slice(Math.max(0, at - 80), at + needle.length + 80)}…`;
}

/** A 4xx whose body echoes neither the token the request carried nor the server's own. */
function expectRefused(response: RawResponse, presented: string, target: TestServer): void {
  const summary = `${response.status} ${response.body.slice(0, 400)}`;
  expect(response.status >= 400 && response.status < 500, summary).toBe(true);
  if (presented !== "") expect(locate(response.body, presented), "the presented token in the body").toBe("");
  expect(locate(response.body, target.token), "the server's token in the body").toBe("");
}

/** What a web page's fetch() could send if it knew the token: JSON, browser headers. */
function browserLike(target: TestServer, headers: Record<string, string>, script = MARKER_SCRIPT): RawRequest {
  return {
    headers: {
      "content-type": "application/json",
      [TOKEN_HEADER]: target.token,
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) security-test",
      accept: "*/*",
      "sec-fetch-mode": "cors",
      ...headers,
    },
    body: runBody(script),
  };
}

function withToken(token: string): RawRequest {
  return { headers: { "content-type": "application/json", [TOKEN_HEADER]: token }, body: runBody(MARKER_SCRIPT) };
}

const portOf = (target: TestServer): string => new URL(target.url).port;
const flipLast = (token: string): string => token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");

interface RefusalCase {
  name: string;
  request: (target: TestServer) => RawRequest;
  /** The token the request carried, which the refusal must not echo. */
  presented: (target: TestServer) => string;
}

const REFUSALS: RefusalCase[] = [
  {
    name: "a wrong token of the same length",
    request: (target) => withToken(flipLast(target.token)),
    presented: (target) => flipLast(target.token),
  },
  {
    name: "a wrong token of another length (the real one plus a character)",
    request: (target) => withToken(`${target.token}0`),
    presented: (target) => `${target.token}0`,
  },
  { name: "a short wrong token", request: () => withToken("abc123"), presented: () => "abc123" },
  {
    name: "a GET with the token",
    request: (target) => ({ method: "GET", headers: { [TOKEN_HEADER]: target.token } }),
    presented: (target) => target.token,
  },
  {
    name: "a text/plain POST with the token",
    request: (target) => ({
      headers: { "content-type": "text/plain", [TOKEN_HEADER]: target.token },
      body: runBody(MARKER_SCRIPT),
    }),
    presented: (target) => target.token,
  },
  {
    name: "a browser-like request with the token from Origin: https://evil.example",
    request: (target) => browserLike(target, { origin: "https://evil.example" }),
    presented: (target) => target.token,
  },
  {
    name: "Origin: null",
    request: (target) => browserLike(target, { origin: "null" }),
    presented: (target) => target.token,
  },
  {
    name: "Origin: http://localhost:<another port>",
    request: (target) =>
      browserLike(target, { origin: `http://localhost:${portOf(target) === "5173" ? "5174" : "5173"}` }),
    presented: (target) => target.token,
  },
  {
    name: "Sec-Fetch-Site: cross-site",
    request: (target) => browserLike(target, { "sec-fetch-site": "cross-site" }),
    presented: (target) => target.token,
  },
  {
    name: "Host: evil.example",
    request: (target) => browserLike(target, { host: "evil.example" }),
    presented: (target) => target.token,
  },
  {
    name: "Host: evil.example:<the server's port>",
    request: (target) => browserLike(target, { host: `evil.example:${portOf(target)}` }),
    presented: (target) => target.token,
  },
];

// --- the project's own config ----------------------------------------------------------------

describe("vite.config.mts as it is", () => {
  let server: TestServer;
  let digest: string;

  beforeAll(async () => {
    server = await startTestServer(root);
    digest = createHash("sha256").update(server.token, "utf8").digest("hex");
  });
  afterAll(async () => {
    await server?.close();
  });

  describe("requests refused without importing the script", () => {
    test.each(REFUSALS.map((refusal) => [refusal.name, refusal] as const))("%s", async (_, refusal) => {
      const response = await rawRequest(server.url, { path: ROUTE_PATH, ...refusal.request(server) });
      expectRefused(response, refusal.presented(server), server);
      await expectNothingImported(server);
    });

    // Not worker-run's protocol: the app answers as if the plugin were not there. An empty
    // header does not reach the worker at all (dropped on the way), so it is the same case.
    test.each([
      ["no token header", { headers: { "content-type": "application/json" }, body: runBody(MARKER_SCRIPT) }],
      ["an empty token header", withToken("")],
    ] as const)("%s: the app answers, nothing is imported", async (_, request) => {
      const response = await rawRequest(server.url, { path: ROUTE_PATH, ...request });
      expect(`${response.status} ${response.body}`).toBe("200 security fixture: the app answered.\n");
      await expectNothingImported(server);
    });

    test("while a same-origin browser request with the token gets through (the refusals are about their headers)", async () => {
      const request = browserLike(
        server,
        { origin: new URL(server.url).origin, "sec-fetch-site": "same-origin" },
        READ_MARKER_SCRIPT,
      );
      const response = await rawRequest(server.url, { path: ROUTE_PATH, ...request });
      expect(response.status, response.body).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ ok: true, result: null });
    });
  });

  describe("script paths refused with kind usage, even with a valid token", () => {
    const paths: [string, () => string][] = [
      ["../outside.ts", () => "../outside.ts"],
      ["an absolute path outside the root", () => path.join(parent, "outside.ts")],
      ["a symlink inside the root to a file outside it", () => "src/scripts/link.ts"],
      ["src/scripts/marker.ts?raw", () => `${MARKER_SCRIPT}?raw`],
      ["src/scripts/marker.ts#x", () => `${MARKER_SCRIPT}#x`],
      ["data:text/javascript,export default 1", () => "data:text/javascript,export default 1"],
      ["node:fs", () => "node:fs"],
      ["%2e%2e/outside.ts", () => "%2e%2e/outside.ts"],
      ["..%2foutside.ts", () => "..%2foutside.ts"],
      ["virtual:worker-run/entry", () => VIRTUAL_ENTRY_ID],
      ["\\0virtual:worker-run/entry", () => `\0${VIRTUAL_ENTRY_ID}`],
      ["src/scripts/marker.ts with a NUL byte", () => `${MARKER_SCRIPT}\0.ts`],
    ];
    test.each(paths)("%s", async (_, script) => {
      const response = await postRun(server, { script: script() });
      expectRefused(response, server.token, server);
      expect(JSON.parse(response.body)).toMatchObject({ ok: false, kind: "usage" });
      await expectNothingImported(server);
    });
  });

  describe("the browser's environment cannot read the token", () => {
    const VIRTUAL_PATHS = [`/@id/${VIRTUAL_ENTRY_ID}`, `/@id/__x00__${VIRTUAL_ENTRY_ID}`];
    const get = (requestPath: string): Promise<RawResponse> =>
      rawRequest(server.url, { method: "GET", path: requestPath, headers: { accept: "*/*" } });

    test.each([...VIRTUAL_PATHS, "/@vite/env", "/@vite/client", "/", "/src/client.ts"])(
      "%s carries neither the token nor its SHA-256",
      async (requestPath) => {
        const response = await get(requestPath);
        // Booleans with a located excerpt: on failure, show where the secret is, not a 100 KB module.
        expect(locate(response.body, server.token), "the token").toBe("");
        expect(locate(response.body, digest), "the token's SHA-256").toBe("");
      },
    );

    test.each(VIRTUAL_PATHS)("%s does not resolve to the wrapper for the client", async (requestPath) => {
      const response = await get(requestPath);
      const servesWrapper = response.status === 200 && response.body.includes("wrapDefaultExport");
      expect(servesWrapper, `${response.status} ${response.body.slice(0, 400)}`).toBe(false);
    });

    test("those pages are real client modules, so the checks above look at something", async () => {
      const client = await get("/src/client.ts");
      expect(client.status).toBe(200);
      expect(client.body.includes("security fixture client"), "/src/client.ts is the fixture's module").toBe(true);
      const viteClient = await get("/@vite/client");
      expect(viteClient.status).toBe(200);
      expect(viteClient.body.includes("createHotContext"), "/@vite/client is Vite's HMR client").toBe(true);
      const page = await get("/");
      expect(page.body.includes('src="/src/client.ts"'), "/ is the fixture's index.html").toBe(true);
    });

    test("the worker's own entry carries the digest (what the checks above look for), never the token", async () => {
      const worker = Object.values(server.server.environments).find(
        (environment) => environment.config.consumer === "server" && environment.name !== "ssr",
      );
      expect(worker, Object.keys(server.server.environments).join(", ")).toBeDefined();
      const entry = await worker!.transformRequest(`\0${VIRTUAL_ENTRY_ID}`);
      const code = entry?.code ?? "";
      expect(code.includes("wrapDefaultExport"), code.slice(0, 400)).toBe(true);
      expect(code.includes(digest), "the digest in the worker's entry").toBe(true);
      expect(locate(code, server.token), "the token in the worker's entry").toBe("");
    });
  });

  // Last in this block: a module is imported once per server, so this must follow every refusal.
  test("after all that, a valid request runs the script, and both detectors see the import", async () => {
    expect(importLogs(server)).toEqual([]);
    const response = await postRun(server, { script: MARKER_SCRIPT });
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true });
    expect(await readMarker(server)).toBe("imported");
    await vi.waitFor(() => expect(importLogs(server).join("\n")).toContain(MARKER_LOG), {
      timeout: 10_000,
      interval: 100,
    });
    expect(importLogs(server).join("\n")).not.toContain(OUTSIDE_LOG);
  });
});

// --- Vite's Host check off: the route's own allowlist must hold -----------------------------

describe("with Vite's own Host check off (server.allowedHosts: true)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(root, path.join(root, "vite.allow-any-host.config.mts"));
  });
  afterAll(async () => {
    await server?.close();
  });

  test.each(["evil.example", "evil.example:<port>", "localhost.evil.example:<port>", "127.0.0.1.nip.io:<port>"])(
    "the route itself refuses Host: %s",
    async (host) => {
      const request = browserLike(server, { host: host.replace("<port>", portOf(server)) });
      const response = await rawRequest(server.url, { path: ROUTE_PATH, ...request });
      expectRefused(response, server.token, server);
      // The dispatcher's answer, not Vite's: Vite let this Host through.
      expect(JSON.parse(response.body)).toMatchObject({ ok: false, kind: "forbidden" });
      await expectNothingImported(server);
    },
  );

  test("and accepts Host: localhost:<port>", async () => {
    const response = await postRun(server, { script: READ_MARKER_SCRIPT }, { host: `localhost:${portOf(server)}` });
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, result: null });
  });
});
