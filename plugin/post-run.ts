import http from "node:http";
import { UsageError } from "./usage-error.js";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER, type RunRequest, type RunResponse } from "../shared/protocol.js";

export interface PostRunOptions {
  /** The dev server's base URL (`http://127.0.0.1:5173/`). */
  url: string;
  token: string;
  body: RunRequest;
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
