import {
  RESPONSE_MARKER_HEADER,
  SCRIPT_ID_PREFIX,
  SCRIPT_REFUSED_MARKER,
  type FailureKind,
  type GuardOptions,
  type RunRequest,
  type RunResponse,
  type SerializedError,
} from "../shared/protocol.js";
import { checkRunRequest } from "./guard.js";
import { findUnserializable, serializeError } from "./serialize.js";

/** How long a script may keep running after its signal fired, to clean up. */
const ABORT_GRACE_MS = 2_000;

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
  let body: RunRequest;
  try {
    body = parseRunRequest(await request.json());
  } catch (error) {
    return respond(400, failure("usage", { name: "BadRequest", message: errorMessage(error) }));
  }
  const started = Date.now();
  const outcome = await runScript(body, env, ctx);
  const response: RunResponse = { ...outcome, durationMs: Date.now() - started } as RunResponse;
  return respond(outcome.ok || outcome.kind !== "usage" ? 200 : 400, response);
}

type Outcome = { ok: true; result: unknown } | { ok: false; kind: FailureKind; error: SerializedError };

async function runScript(body: RunRequest, env: unknown, ctx: ExecutionContext): Promise<Outcome> {
  const controller = new AbortController();
  const timedOut = body.timeoutMs ? deadline(body.timeoutMs, controller) : undefined;
  try {
    const loaded = await raceTimeout(importScript(body.script), timedOut);
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
      result = await raceTimeout(
        Promise.resolve().then(() => main({ env, args: body.args, ctx, signal: controller.signal })),
        timedOut,
      );
    } catch (error) {
      if (error instanceof TimeoutSignal) throw error;
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
  } catch (error) {
    if (error instanceof TimeoutSignal) {
      return failure("timeout", {
        name: "TimeoutError",
        message: `The script did not finish within ${body.timeoutMs} ms; its signal was aborted.`,
      });
    }
    throw error;
  } finally {
    timedOut?.cancel();
  }
}

type Loaded = { ok: true; module: Record<string, unknown> } | Extract<Outcome, { ok: false }>;

async function importScript(script: string): Promise<Loaded> {
  try {
    // Goes through Vite's module runner: the plugin canonicalises and checks the path,
    // then the user's own pipeline compiles the file.
    const module = (await import(/* @vite-ignore */ SCRIPT_ID_PREFIX + encodeURIComponent(script))) as Record<
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

class TimeoutSignal extends Error {}

interface Deadline {
  fired: Promise<never>;
  cancel(): void;
}

/** Aborts `controller` after `ms`, then rejects `fired` once the grace period is over. */
function deadline(ms: number, controller: AbortController): Deadline {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new DOMException(`Timed out after ${ms} ms`, "TimeoutError"));
      timer = setTimeout(() => reject(new TimeoutSignal()), ABORT_GRACE_MS);
    }, ms);
  });
  fired.catch(() => {});
  return { fired, cancel: () => timer !== undefined && clearTimeout(timer) };
}

function raceTimeout<T>(work: Promise<T>, timedOut: Deadline | undefined): Promise<T> {
  return timedOut ? Promise.race([work, timedOut.fired]) : work;
}

function parseRunRequest(input: unknown): RunRequest {
  if (!isRecord(input)) throw new TypeError("The body must be a JSON object.");
  const { script, args, timeoutMs } = input;
  if (typeof script !== "string" || script === "") throw new TypeError('"script" must be a non-empty string.');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw new TypeError('"args" must be an array of strings.');
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new TypeError('"timeoutMs" must be a non-negative number.');
  }
  return { script, args, timeoutMs };
}

function failure(kind: FailureKind, error: SerializedError): Extract<Outcome, { ok: false }> {
  return { ok: false, kind, error };
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
