import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Connect } from "vite";
import {
  INPUT_CONTENT_TYPE,
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
    const carriesInput = mediaType(req.headers["content-type"]) === INPUT_CONTENT_TYPE;
    if (typeof workerName !== "string" && !carriesInput) {
      next();
      return;
    }
    const worker = typeof workerName === "string" ? workers.byName(workerName) : workers.list().find((known) => known.entry);
    if (typeof workerName === "string" && !worker) {
      answer(res, 400, "usage", "UsageError", unknownWorkerMessage(workerName, workers));
      return;
    }
    // The Cloudflare plugin hands a request body to the worker as fast as it arrives, buffering
    // what the worker has not read yet; a run's input (a pipe, a large file) goes through the
    // relay instead, which moves it at the pace the script reads it.
    if (worker && (carriesInput || !worker.entry)) relay(req, res, worker.name, workers).catch(next);
    else next();
  };
}

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
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

/** Sends the request on to the named worker through Miniflare and streams both ways. */
async function relay(req: IncomingMessage, res: ServerResponse, name: string, workers: WorkerDirectory): Promise<void> {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && key !== WORKER_HEADER && !HOP_BY_HOP.has(key) && !key.startsWith(":")) {
      headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
  }
  const url = new URL(req.url ?? ROUTE_PATH, `http://${req.headers.host ?? "localhost"}`);
  const aborted = new AbortController();
  // Only when the launcher went away before the answer was over; once it is over, the rest of
  // the request (a run's unread input) ends when the launcher ends it.
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const response = await workers.dispatch(name, url, {
    method: req.method ?? "POST",
    headers,
    body: pulledBody(req),
    duplex: "half",
    // Any other mode makes fetch keep a copy of the whole body, to send it again should the
    // worker answer with a redirect; the route never redirects.
    redirect: "error",
    signal: aborted.signal,
  } as RequestInit);
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

/**
 * The request's body as a stream that reads ahead at most {@link READ_AHEAD_BYTES}, so it moves
 * at the pace the worker reads it. (Readable.toWeb counts its buffer in chunks, up to the
 * stream's high-water mark in bytes: a gigabyte of 64 KiB chunks.)
 */
function pulledBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      // Not `chunks.return()`: that destroys the request, and its socket with the answer's tail.
      cancel() {},
    },
    new ByteLengthQueuingStrategy({ highWaterMark: READ_AHEAD_BYTES }),
  );
}

const READ_AHEAD_BYTES = 1024 * 1024;

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
