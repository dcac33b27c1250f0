import { randomUUID } from "node:crypto";
import http from "node:http";
import { createServer, type Logger, type ViteDevServer } from "vite";
import type { WorkerRunApi } from "../../plugin/plugin.js";
import { ROUTE_PATH, RUN_ID_HEADER, TOKEN_HEADER } from "../../shared/protocol.js";

/** A dev server started in the test process, with every log line it produced. */
export interface TestServer {
  server: ViteDevServer;
  url: string;
  /** The route's secret, read from the plugin as the launcher does. */
  token: string;
  logs: { level: "info" | "warn" | "error"; message: string }[];
  close(): Promise<void>;
}

/** A Vite logger that records every line in `logs` and prints nothing. */
export function createCapturingLogger(logs: TestServer["logs"]): Logger {
  return {
    hasWarned: false,
    info: (message) => void logs.push({ level: "info", message }),
    warn: (message) => void logs.push({ level: "warn", message }),
    warnOnce: (message) => void logs.push({ level: "warn", message }),
    error: (message) => void logs.push({ level: "error", message }),
    clearScreen: () => {},
    hasErrorLogged: () => false,
  };
}

/** Starts `root`'s own dev server on 127.0.0.1 and a free port, logs captured, not printed. */
export async function startTestServer(root: string, configFile?: string): Promise<TestServer> {
  const logs: TestServer["logs"] = [];
  const logger = createCapturingLogger(logs);
  const server = await createServer({
    root,
    configFile,
    customLogger: logger,
    clearScreen: false,
    server: { host: "127.0.0.1", port: 0 },
  });
  try {
    await server.listen();
    const url = server.resolvedUrls!.local[0]!;
    const api = server.config.plugins.find((plugin) => plugin.name === "worker-run")?.api as WorkerRunApi | undefined;
    return { server, url, token: api?.getToken() ?? "", logs, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** A raw HTTP exchange, so tests control every header (Host included). */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  path?: string;
  /** The request target sent as it is (e.g. absolute-form), instead of `path` resolved against the base URL. */
  target?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends one request with exactly the given headers (`setHost: false`: no Host unless given). */
export function rawRequest(baseUrl: string, request: RawRequest = {}): Promise<RawResponse> {
  const target = new URL(request.path ?? ROUTE_PATH, baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: request.target ?? target.pathname + target.search,
        method: request.method ?? "POST",
        setHost: false,
        headers: { host: target.host, ...request.headers },
        agent: false,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.body);
  });
}

/** Posts a run to the route the way the launcher does: JSON, token in its header. */
export function postRun(
  server: Pick<TestServer, "url" | "token">,
  body: { script: string; args?: string[]; timeoutMs?: number },
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(server.url, {
    headers: {
      "content-type": "application/json",
      [TOKEN_HEADER]: server.token,
      // A fresh run id, as the launcher sends: the plugin drops the run's module when it ends.
      [RUN_ID_HEADER]: randomUUID(),
      ...headers,
    },
    body: JSON.stringify({ args: [], ...body }),
  });
}
