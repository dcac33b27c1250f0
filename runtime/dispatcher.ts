import {
  errorMessage,
  INPUT_CONTENT_TYPE,
  RESPONSE_MARKER_HEADER,
  RUN_ID_HEADER,
  RUN_ID_RE,
  STREAM_CONTENT_TYPE,
  type EntryOptions,
  type RouteRequest,
  type RunResponse,
} from "../shared/protocol.js";
import { cancelRun, completeRun } from "./execute-script.js";
import { checkRunRequest, mediaType } from "./guard.js";
import { forwardToObject } from "./object-forward.js";
import { failure } from "./outcome.js";
import { parseBody } from "./request-body.js";
import { splitRunBody, type RunInput } from "./run-input.js";
import { streamRun } from "./run-stream.js";

/** A Durable Object instance a run runs in: what the script's context gains there. */
export interface ObjectScope {
  /** The live object (`this` of its methods). */
  instance: object;
  /** Its `DurableObjectState` (`ctx` of a `DurableObject` subclass). */
  state: DurableObjectState;
  /** The env the object was constructed with. */
  env: unknown;
}

/**
 * Answers one request to the route: authenticates it, then answers a ping or a cancel, or
 * runs the script: as one JSON document, or (`stream: true`) as JSON lines that carry the
 * script's console while it runs. The script's own failures are answers (200), not HTTP errors.
 * A run for a Durable Object goes on to that instance, which answers it through this same
 * function with its `scope`.
 */
export async function handleRunRequest(
  request: Request,
  env: unknown,
  ctx: ExecutionContext,
  options: EntryOptions,
  scope?: ObjectScope,
): Promise<Response> {
  const refusal = await checkRunRequest(request, options);
  if (refusal) {
    await drain(request);
    return respond(refusal.status, failure("forbidden", { name: "Forbidden", message: refusal.message }));
  }
  let body: RouteRequest;
  let input: RunInput | undefined;
  try {
    if (hasInput(request)) {
      input = await splitRunBody(request.body);
      body = parseBody(JSON.parse(input.head));
      if (!("args" in body) || !body.stream) throw new TypeError("Only a run with a streamed answer (stream: true) can carry input.");
    } else {
      body = parseBody(await request.json());
    }
  } catch (error) {
    return respond(400, failure("usage", { name: "BadRequest", message: errorMessage(error) }));
  }
  if ("ping" in body) return respond(200, { ok: true, result: "pong" });
  if (body.durableObject && !scope) {
    const forwarded = await forwardToObject(request, body, body.durableObject, env, options, input);
    return forwarded instanceof Response ? forwarded : respond(forwarded.kind === "usage" ? 400 : 200, forwarded);
  }
  if ("cancel" in body) return respond(200, { ok: true, result: { cancelled: cancelRun(body.cancel) } });
  // The launcher names every run; a client that does not gets an id nobody else knows.
  const named = request.headers.get(RUN_ID_HEADER);
  const runId = named !== null && RUN_ID_RE.test(named) ? named : crypto.randomUUID();
  if (body.stream) return streamRun(runId, body, env, ctx, scope, responseHeaders(STREAM_CONTENT_TYPE), input);
  const response = await completeRun(runId, body, env, ctx, scope, undefined, undefined);
  return respond(response.ok || response.kind !== "usage" ? 200 : 400, response);
}

function hasInput(request: Request): boolean {
  return mediaType(request.headers.get("content-type")) === INPUT_CONTENT_TYPE;
}

/** Refused bodies up to this size are read and dropped; a larger one's connection just closes. */
const MAX_DRAINED_BYTES = 1024 * 1024;

/**
 * Reads and drops a refused request's body. workerd closes a connection whose request body
 * was left unread, and Miniflare sends its next request on the same pooled connection, which
 * then fails ("fetch failed"): the next run would pay for this refusal.
 */
async function drain(request: Request): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  // A run's input may be endless (a pipe); it is not read for a refusal.
  if (hasInput(request)) return;
  if (Number(request.headers.get("content-length") ?? "0") > MAX_DRAINED_BYTES) return;
  await request.arrayBuffer().catch(() => {});
}

function respond(status: number, body: RunResponse): Response {
  return new Response(JSON.stringify(body), { status, headers: responseHeaders("application/json; charset=utf-8") });
}

function responseHeaders(contentType: string): HeadersInit {
  return { "content-type": contentType, "cache-control": "no-store", [RESPONSE_MARKER_HEADER]: "1" };
}
