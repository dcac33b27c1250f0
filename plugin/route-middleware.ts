import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Connect } from "vite";
import {
  RESPONSE_MARKER_HEADER,
  ROUTE_PATH,
  RUN_ID_HEADER,
  RUN_ID_RE,
  TOKEN_HEADER,
  WORKER_HEADER,
  type FailureKind,
  type RunResponse,
} from "../shared/protocol.js";
import { tokenMatches } from "./token.js";
import type { WorkerDirectory } from "./workers.js";

/** Told when a launcher's run starts and when its answer is over, by run id. */
export interface RunTracker {
  started(runId: string): void;
  ended(runId: string): void;
}

/**
 * The route's Node-side middleware, for requests that speak worker-run's protocol (they carry
 * its token header; every other request passes untouched, as does everything the worker
 * decides). It refuses the route written in absolute form (`POST http://localhost:5173/__worker-run`):
 * the Cloudflare plugin builds the worker's URL from that target, and Miniflare then rewrites
 * the Host header to match it, so a foreign Host would reach the worker looking local. It
 * watches the authenticated runs go by, so that the plugin knows which are in progress and can
 * drop each one's script module once its answer is done. And it hands an authenticated request
 * for another worker than the entry ({@link WORKER_HEADER}) to that worker, whose own
 * dispatcher checks it again as the entry's would.
 */
export function createRouteMiddleware(token: string, runs: RunTracker, workers: WorkerDirectory): Connect.NextHandleFunction {
  return (req, res, next) => {
    const presented = req.headers[TOKEN_HEADER];
    const target = req.url ?? "/";
    if (typeof presented !== "string" || !isRouteTarget(target)) {
      next();
      return;
    }
    if (!target.startsWith("/")) {
      answer(res, 400, "forbidden", "Forbidden", "The route only accepts origin-form request targets.");
      return;
    }
    if (!tokenMatches(presented, token)) {
      next(); // The worker refuses it, exactly as any other.
      return;
    }
    const runId = req.headers[RUN_ID_HEADER];
    if (req.method === "POST" && typeof runId === "string" && RUN_ID_RE.test(runId)) {
      runs.started(runId);
      res.once("close", () => runs.ended(runId));
    }
    const workerName = req.headers[WORKER_HEADER];
    if (typeof workerName !== "string") {
      next();
      return;
    }
    const worker = workers.byName(workerName);
    if (!worker) {
      answer(res, 400, "usage", "UsageError", unknownWorkerMessage(workerName, workers));
      return;
    }
    if (worker.entry) next();
    else relay(req, res, worker.name, workers).catch(next);
  };
}

function unknownWorkerMessage(name: string, workers: WorkerDirectory): string {
  const known = workers.list();
  if (!known.length) {
    return `worker-run could not learn the workers of this dev server from @cloudflare/vite-plugin, so it cannot run a script in the worker "${name}". Leave out --worker to run in the entry worker.`;
  }
  const names = known.map((worker) => (worker.entry ? `${worker.name} (the entry worker)` : worker.name)).join(", ");
  return `No worker named "${name}" in this dev server. Its workers: ${names}.`;
}

/** Headers of one connection, not of the request: fetch sets its own. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "expect", "content-length", "te", "trailer"]);

/** Sends the request on to the named worker through Miniflare and streams its answer back. */
async function relay(req: IncomingMessage, res: ServerResponse, name: string, workers: WorkerDirectory): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && key !== WORKER_HEADER && !HOP_BY_HOP.has(key) && !key.startsWith(":")) {
      headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
  }
  const url = new URL(req.url ?? ROUTE_PATH, `http://${req.headers.host ?? "localhost"}`);
  const aborted = new AbortController();
  res.once("close", () => aborted.abort());
  const response = await workers.dispatch(name, url, {
    method: req.method ?? "POST",
    headers,
    body: Buffer.concat(chunks),
    signal: aborted.signal,
  });
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key)) res.setHeader(key, value);
  });
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
  body.on("error", () => res.destroy());
  body.pipe(res);
}

function answer(res: ServerResponse, status: number, kind: FailureKind, name: string, message: string): void {
  const body: RunResponse = { ok: false, kind, error: { name, message } };
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader(RESPONSE_MARKER_HEADER, "1");
  res.end(JSON.stringify(body));
}

function isRouteTarget(target: string): boolean {
  if (target.startsWith("/")) return target === ROUTE_PATH || target.startsWith(`${ROUTE_PATH}?`);
  try {
    return new URL(target).pathname === ROUTE_PATH;
  } catch {
    return false;
  }
}
