import {
  RESPONSE_MARKER_HEADER,
  STREAM_CONTENT_TYPE,
  type GuardOptions,
  type RunRequest,
  type CancelRequest,
  type RunResponse,
  type StatusRequest,
} from "../shared/protocol.js";
import { cancelRun, completeRun, noteActivity, serverStatus } from "./execute-script.js";
import { checkRunRequest } from "./guard.js";
import { errorMessage, failure, type Outcome } from "./outcome.js";
import { parseBody } from "./request-body.js";
import { streamRun } from "./run-stream.js";

/**
 * Answers one request to the route: authenticates it, then answers a status or cancel
 * request, or runs the script: as one JSON document, or (`stream: true`) as JSON lines that
 * carry the script's console while it runs. The script's own failures are answers (200),
 * not HTTP errors.
 */
export async function handleRunRequest(
  request: Request,
  env: unknown,
  ctx: ExecutionContext,
  options: GuardOptions,
): Promise<Response> {
  const refusal = await checkRunRequest(request, options);
  if (refusal) {
    return respond(refusal.status, failure("forbidden", { name: "Forbidden", message: refusal.message }));
  }
  let body: RunRequest | CancelRequest | StatusRequest;
  try {
    body = parseBody(await request.json());
  } catch (error) {
    return respond(400, failure("usage", { name: "BadRequest", message: errorMessage(error) }));
  }
  if ("status" in body) return respond(200, { ok: true, result: serverStatus() });
  noteActivity(body.owner);
  if ("cancel" in body) return respond(200, { ok: true, result: { cancelled: cancelRun(body.cancel) } });
  if (body.stream) return streamRun(body, env, ctx, responseHeaders(STREAM_CONTENT_TYPE));
  const response = await completeRun(body, env, ctx, undefined);
  return respond(response.ok || response.kind !== "usage" ? 200 : 400, response);
}

function respond(status: number, body: RunResponse | Outcome): Response {
  return new Response(JSON.stringify(body), { status, headers: responseHeaders("application/json; charset=utf-8") });
}

function responseHeaders(contentType: string): HeadersInit {
  return { "content-type": contentType, "cache-control": "no-store", [RESPONSE_MARKER_HEADER]: "1" };
}
