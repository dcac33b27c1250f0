import {
  RESPONSE_MARKER_HEADER,
  RUN_QUERY,
  SCRIPT_ID_PREFIX,
  SCRIPT_REFUSED_MARKER,
  type CancelRequest,
  type FailureKind,
  type GuardOptions,
  type RunRequest,
  type RunResponse,
  type SerializedError,
} from "../shared/protocol.js";
import { checkRunRequest } from "./guard.js";
import { createRunStopper, RunStopped, type RunStopper } from "./run-stopper.js";
import { findUnserializable, serializeError } from "./serialize.js";

/**
 * Answers one request to the route: authenticates it, then imports and runs the script.
 * Always answers JSON; the script's own failures are answers (200), not HTTP errors.
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
  let body: RunRequest | CancelRequest;
  try {
    body = parseBody(await request.json());
  } catch (error) {
    return respond(400, failure("usage", { name: "BadRequest", message: errorMessage(error) }));
  }
  if ("cancel" in body) {
    const run = runsInProgress.get(body.cancel);
    run?.stop("interrupted");
    return respond(200, { ok: true, result: { cancelled: run !== undefined } });
  }
  const started = Date.now();
  try {
    const outcome = await runScript(body, env, ctx);
    const response: RunResponse = { ...outcome, durationMs: Date.now() - started } as RunResponse;
    return respond(outcome.ok || outcome.kind !== "usage" ? 200 : 400, response);
  } catch (error) {
    // Still an answer the launcher can read, never the dev server's HTML error page.
    return respond(500, failure("run", { name: "Error", message: `worker-run could not complete the run: ${errorMessage(error)}` }));
  }
}

type Outcome = { ok: true; result: unknown } | { ok: false; kind: FailureKind; error: SerializedError };

/** Runs in progress in this isolate, by run id, so a cancel request can stop them. */
const runsInProgress = new Map<string, RunStopper>();

async function runScript(body: RunRequest, env: unknown, ctx: ExecutionContext): Promise<Outcome> {
  const stopper = createRunStopper(body.timeoutMs);
  if (body.runId) runsInProgress.set(body.runId, stopper);
  try {
    const outcome = await Promise.race([callScript(body, { env, args: body.args, ctx, signal: stopper.signal }), stopper.stopped]).catch(
      (error: unknown) => {
        if (error instanceof RunStopped) return undefined;
        throw error;
      },
    );
    // Stopped from outside: that is the answer, whatever the script did with its grace period.
    if (stopper.reason === "timeout") {
      return failure("timeout", {
        name: "TimeoutError",
        message: `The script did not finish within ${body.timeoutMs} ms; its signal was aborted.`,
      });
    }
    if (stopper.reason === "interrupted") {
      return failure("interrupted", { name: "AbortError", message: "The run was cancelled; its signal was aborted." });
    }
    return outcome!;
  } finally {
    stopper.dispose();
    if (body.runId) runsInProgress.delete(body.runId);
  }
}

interface ScriptContextValue {
  env: unknown;
  args: string[];
  ctx: ExecutionContext;
  signal: AbortSignal;
}

async function callScript(body: RunRequest, context: ScriptContextValue): Promise<Outcome> {
  const loaded = await importScript(body.script);
  if (!loaded.ok) return loaded;
  const { module } = loaded;
  if (!("default" in module) || module.default === undefined) {
    // A module without a default export is a script made of its top-level code.
    return { ok: true, result: undefined };
  }
  const main = module.default;
  if (typeof main !== "function") {
    return failure("usage", {
      name: "TypeError",
      message: `The default export of "${body.script}" is ${describeType(main)}, not a function. Export a function: export default defineScript(async ({ env, args }) => { … }).`,
    });
  }
  let result: unknown;
  try {
    result = await main(context);
  } catch (error) {
    return failure("run", serializeError(error));
  }
  const problem = findUnserializable(result);
  if (problem) {
    return failure("result", {
      name: "TypeError",
      message: `The script finished, but its result cannot be sent as JSON: ${problem}.`,
    });
  }
  return { ok: true, result };
}

type Loaded = { ok: true; module: Record<string, unknown> } | Extract<Outcome, { ok: false }>;

async function importScript(script: string): Promise<Loaded> {
  try {
    // Goes through Vite's module runner: the plugin canonicalises and checks the path,
    // then the user's own pipeline compiles the file.
    const id = `${SCRIPT_ID_PREFIX}${crypto.randomUUID()}/${encodeURIComponent(script)}`;
    const module = (await import(/* @vite-ignore */ id)) as Record<
      string,
      unknown
    >;
    return { ok: true, module };
  } catch (error) {
    const { name, message } = serializeError(error);
    const refused = message.indexOf(SCRIPT_REFUSED_MARKER);
    if (refused !== -1) {
      return failure("usage", { name: "ScriptRefused", message: message.slice(refused + SCRIPT_REFUSED_MARKER.length) });
    }
    // The Cloudflare runner imports in its Durable Object and hands the error back over RPC,
    // which keeps only the message: the stack is the runner's, so it is left out. Vite's
    // messages name the file and line themselves.
    return failure("load", { name, message });
  }
}

function parseBody(input: unknown): RunRequest | CancelRequest {
  if (!isRecord(input)) throw new TypeError("The body must be a JSON object.");
  if ("cancel" in input) {
    if (typeof input.cancel !== "string") throw new TypeError('"cancel" must be a run id.');
    return { cancel: input.cancel };
  }
  const { script, args, timeoutMs, runId } = input;
  if (typeof script !== "string" || script === "") throw new TypeError('"script" must be a non-empty string.');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw new TypeError('"args" must be an array of strings.');
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new TypeError('"timeoutMs" must be a non-negative number.');
  }
  if (runId !== undefined && typeof runId !== "string") throw new TypeError('"runId" must be a string.');
  return { script, args, timeoutMs, runId };
}

function failure(kind: FailureKind, error: SerializedError): Extract<Outcome, { ok: false }> {
  return { ok: false, kind, error: withoutRunQuery(error) };
}

const RUN_QUERY_RE = new RegExp(`\\?${RUN_QUERY}=[\\w-]+`, "g");

/** Stack frames name the script as the user knows it, without this run's query. */
function withoutRunQuery(error: SerializedError): SerializedError {
  return {
    ...error,
    message: error.message.replace(RUN_QUERY_RE, ""),
    ...(error.stack === undefined ? {} : { stack: error.stack.replace(RUN_QUERY_RE, "") }),
    ...(error.cause === undefined ? {} : { cause: withoutRunQuery(error.cause) }),
  };
}

function respond(status: number, body: RunResponse | Outcome): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      [RESPONSE_MARKER_HEADER]: "1",
    },
  });
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
