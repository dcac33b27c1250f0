import http from "node:http";
import { UsageError } from "./usage-error.js";
import {
  RESPONSE_MARKER_HEADER,
  ROUTE_PATH,
  TOKEN_HEADER,
  type CancelRequest,
  type RunRequest,
  type RunResponse,
} from "../shared/protocol.js";

export interface PostRunOptions {
  /** The dev server's base URL (`http://127.0.0.1:5173/`). */
  url: string;
  token: string;
  body: RunRequest | CancelRequest;
  /** Aborting it tears the request down. */
  signal: AbortSignal;
}

/**
 * Posts one run to the route and reads the answer. Uses `node:http` without timeouts:
 * a script may legitimately run for a long time, and a run is never retried.
 */
export function postRun({ url, token, body, signal }: PostRunOptions): Promise<RunResponse> {
  const payload = JSON.stringify(body);
  const target = new URL(ROUTE_PATH, url);
  return new Promise((resolve, reject) => {
    const request = http.request(target, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        [TOKEN_HEADER]: token,
      },
      signal,
      agent: false,
    });
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (response.headers[RESPONSE_MARKER_HEADER] !== "1") {
          const hung = unmarkedFailure(response.statusCode ?? 0, text);
          if (hung) {
            resolve(hung);
            return;
          }
          reject(
            new UsageError(
              `The dev server answered ${response.statusCode} for ${ROUTE_PATH} without worker-run's marker, so the request did not reach workerRun()'s dispatcher. Is workerRun() in the plugins of this worker's Vite config?`,
            ),
          );
          return;
        }
        try {
          resolve(JSON.parse(text) as RunResponse);
        } catch {
          reject(new Error(`The route answered ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    request.end(payload);
  });
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
