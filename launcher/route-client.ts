import http from "node:http";
import type { Readable } from "node:stream";
import {
  INPUT_CONTENT_TYPE,
  RESPONSE_MARKER_HEADER,
  ROUTE_PATH,
  STREAM_CONTENT_TYPE,
  RUN_ID_HEADER,
  TOKEN_HEADER,
  WORKER_HEADER,
  type ProgressReport,
  type RouteRequest,
  type RunEvent,
  type RunResponse,
  type SerializedError,
} from "../shared/protocol.js";
import { nameRuntimeFrames } from "../plugin/runtime-files.js";
import { UsageError } from "./usage-error.js";

/** The route's answer came from the app, not from workerRun()'s dispatcher. */
export class UnmarkedAnswer extends UsageError {
  constructor(readonly status: number) {
    super(
      `The dev server answered ${status} for ${ROUTE_PATH} without worker-run's marker, so the request did not reach workerRun()'s dispatcher. Is workerRun() in the plugins of this worker's Vite config?`,
    );
  }
}

export interface PostToRouteOptions {
  /** The dev server's base URL (`http://127.0.0.1:5173/`). */
  url: string;
  token: string;
  body: RouteRequest;
  /** A run's id, sent in its header (runs only: it tells the server a run is in progress). */
  runId?: string;
  /** The worker that answers, by name; undefined: the entry worker. */
  worker?: string | undefined;
  /** Aborting it tears the request down. */
  signal: AbortSignal;
  /** Called once the answer has begun: the server has the request. */
  onResponse?: () => void;
  /** Receives the script's console lines of a streamed answer, as they arrive. */
  onLog?: (event: Extract<RunEvent, { type: "log" }>) => void;
  /**
   * The run's input, sent after the run request's JSON line as the worker reads it; whatever
   * is left when the answer is over is not sent.
   */
  input?: Readable | undefined;
  /** Receives the script's progress reports of a streamed answer. */
  onProgress?: (report: ProgressReport) => void;
}

/**
 * Posts a request (a run, a cancel, a ping) to the route and reads the answer: one JSON document, or a stream of
 * JSON lines ending with the run's answer. Uses `node:http` without timeouts: a script may
 * legitimately run for a long time, and a run is never retried.
 */
export function postToRoute({
  url,
  token,
  body,
  runId,
  worker,
  signal,
  onResponse,
  onLog,
  onProgress,
  input,
}: PostToRouteOptions): Promise<RunResponse> {
  const payload = JSON.stringify(body);
  const target = new URL(ROUTE_PATH, url);
  let request: http.ClientRequest | undefined;
  const answer = new Promise<RunResponse>((resolve, reject) => {
    request = http.request(target, {
      method: "POST",
      headers: {
        ...(input
          ? { "content-type": INPUT_CONTENT_TYPE } // chunked: the input's length is not known
          : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        [TOKEN_HEADER]: token,
        ...(runId === undefined ? {} : { [RUN_ID_HEADER]: runId }),
        ...(worker === undefined ? {} : { [WORKER_HEADER]: worker }),
      },
      signal,
      agent: false,
    });
    request.on("error", reject);
    request.on("response", (response) => {
      onResponse?.();
      response.on("error", reject);
      if (response.headers[RESPONSE_MARKER_HEADER] !== "1") {
        readAll(response).then((text) => {
          const failure = unmarkedFailure(response.statusCode ?? 0, text);
          if (failure) resolve(failure);
          else reject(new UnmarkedAnswer(response.statusCode ?? 0));
        }, reject);
        return;
      }
      if (response.headers["content-type"]?.startsWith(STREAM_CONTENT_TYPE)) {
        readEvents(response, onLog, onProgress).then(resolve, reject);
        return;
      }
      readAll(response).then((text) => {
        try {
          resolve(JSON.parse(text) as RunResponse);
        } catch {
          reject(new Error(`The route answered ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      }, reject);
    });
    if (!input) {
      request.end(payload);
      return;
    }
    request.write(`${payload}\n`);
    input.once("error", (error) => request!.destroy(error));
    input.pipe(request);
  });
  const named = answer.then(withRuntimeFrameNames);
  if (!input) return named;
  return named.finally(() => {
    input.unpipe(request);
    if (!request!.writableFinished) request!.destroy();
  });
}

function withRuntimeFrameNames(response: RunResponse): RunResponse {
  return response.ok ? response : { ...response, error: namedFrames(response.error) };
}

function namedFrames(error: SerializedError): SerializedError {
  const named = { ...error };
  if (error.stack !== undefined) named.stack = nameRuntimeFrames(error.stack);
  if (error.cause !== undefined) named.cause = namedFrames(error.cause);
  return named;
}

async function readAll(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads JSON lines until the `done` event; a stream that stops before it is a failed run. */
async function readEvents(
  response: http.IncomingMessage,
  onLog: PostToRouteOptions["onLog"],
  onProgress: PostToRouteOptions["onProgress"],
): Promise<RunResponse> {
  let pending = "";
  for await (const chunk of response.setEncoding("utf8")) {
    pending += chunk as string;
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as RunEvent;
      if (event.type === "done") return event.response;
      if (event.type === "log") onLog?.(event);
      else if (event.type === "progress") onProgress?.(progressReport(event));
    }
  }
  return {
    ok: false,
    kind: "run",
    error: {
      name: "Error",
      message:
        "The script never finished: workerd cancelled it as hung (it awaited something that nothing will ever settle, with no timer or I/O pending), or the dev server went away. Make sure every promise the script awaits gets resolved or rejected.",
    },
  };
}

/** The report without its event type, and only the fields it should have. */
function progressReport({ done, total, label }: ProgressReport): ProgressReport {
  const report: ProgressReport = { done };
  if (typeof total === "number") report.total = total;
  if (typeof label === "string") report.label = label;
  return report;
}

/**
 * An answer from workerd itself rather than the dispatcher: when a script awaits something
 * nothing will ever settle (no timer, no I/O pending), workerd cancels the request as hung
 * and answers 500. That is the script's failure, not a configuration problem.
 */
function unmarkedFailure(status: number, text: string): RunResponse | undefined {
  if (status < 500) return undefined;
  const firstLine = text.trim().split("\n", 1)[0] ?? "";
  const message = /hung|never generate a response/i.test(text)
    ? "The script never finished: it awaited something that nothing will ever settle (no timer or I/O was pending), so workerd cancelled it as hung. Make sure every promise the script awaits gets resolved or rejected."
    : `The worker answered ${status} without reaching the script's result: ${firstLine.slice(0, 300)}`;
  return { ok: false, kind: "run", error: { name: "Error", message } };
}
