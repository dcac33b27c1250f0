import {
  RESPONSE_MARKER_HEADER,
  RUN_ENDED_EVENT,
  RUN_QUERY,
  SCRIPT_ID_PREFIX,
  SCRIPT_REFUSED_MARKER,
  STREAM_CONTENT_TYPE,
  type CancelRequest,
  type FailureKind,
  type GuardOptions,
  type RunRequest,
  type RunEvent,
  type RunResponse,
  type SerializedError,
  type ServerStatus,
  type StatusRequest,
} from "../shared/protocol.js";
import { openRunConsole, type LogSink } from "./console-capture.js";
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
  let body: RunRequest | CancelRequest | StatusRequest;
  try {
    body = parseBody(await request.json());
  } catch (error) {
    return respond(400, failure("usage", { name: "BadRequest", message: errorMessage(error) }));
  }
  if ("status" in body) {
    // Asking is not activity: the asker waits for the others to go quiet.
    const runs = [...runsInProgress].map(([id, run]) => ({ id, ...(run.owner === undefined ? {} : { owner: run.owner }) }));
    const status: ServerStatus = {
      runs,
      idleMs: Date.now() - lastActivity.at,
      ...(lastActivity.owner === undefined ? {} : { lastOwner: lastActivity.owner }),
    };
    return respond(200, { ok: true, result: status });
  }
  lastActivity = { at: Date.now(), owner: body.owner };
  if ("cancel" in body) {
    const run = runsInProgress.get(body.cancel);
    run?.stopper.stop("interrupted");
    return respond(200, { ok: true, result: { cancelled: run !== undefined } });
  }
  if (body.stream) return streamRun(body, env, ctx);
  const response = await completeRun(body, env, ctx, undefined);
  return respond(response.ok || response.kind !== "usage" ? 200 : 400, response);
}

/**
 * Answers at once with a stream: the script's console lines as they happen, then the end.
 * The script runs in this request's context; the stream keeps the request open.
 */
function streamRun(body: RunRequest, env: unknown, ctx: ExecutionContext): Response {
  const encoder = new TextEncoder();
  const lines: Uint8Array[] = [];
  let ended = false;
  let wake: () => void = () => {};
  const send = (event: RunEvent): Promise<void> => {
    lines.push(encoder.encode(`${JSON.stringify(event)}\n`));
    wake();
    return Promise.resolve();
  };
  const log = createRunLog(send);
  const run = (async () => {
    const response = await completeRun(body, env, ctx, log);
    await log.drain();
    await send({ type: "done", response });
    ended = true;
    wake();
  })();
  // A pull source: workerd waits on `pull` while the script runs, so a script that awaits
  // something nothing will ever settle is still detected as hung.
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (!lines.length && !ended) await new Promise<void>((resolve) => (wake = resolve));
      if (lines.length) controller.enqueue(lines.shift()!);
      else controller.close();
    },
  });
  void run;
  return new Response(stream, { status: 200, headers: responseHeaders(STREAM_CONTENT_TYPE) });
}

/** The console lines of one streamed run, on their way to the stream. */
interface RunLog {
  sink: LogSink;
  /** The script module has been imported: lines may now be written as they come. */
  imported(): void;
  /** Writes what is still queued; resolves once everything is written. */
  drain(): Promise<void>;
}

/**
 * Top-level code runs inside the Cloudflare runner's Durable Object, which must not touch
 * this request's stream (workerd then cancels the request), so lines logged while the
 * script is imported wait in order; once the import is back in this request's context,
 * they go out, and later lines (from the default export, which runs here) go out at once.
 */
function createRunLog(send: (event: RunEvent) => Promise<void>): RunLog {
  const queued: RunEvent[] = [];
  let direct = false;
  let written = Promise.resolve();
  const flush = (): void => {
    for (const event of queued.splice(0)) {
      const write = send(event);
      written = written.then(() => write);
    }
  };
  return {
    sink: (stream, text) => {
      queued.push({ type: "log", stream, text });
      if (direct) flush();
    },
    imported: () => {
      direct = true;
      flush();
    },
    drain: () => {
      flush();
      return written;
    },
  };
}

/** Runs the script and turns whatever happens into the run's answer. */
async function completeRun(
  body: RunRequest,
  env: unknown,
  ctx: ExecutionContext,
  log: RunLog | undefined,
): Promise<RunResponse> {
  const started = Date.now();
  try {
    const outcome = await runScript(body, env, ctx, log);
    return { ...outcome, durationMs: Date.now() - started } as RunResponse;
  } catch (error) {
    // Still an answer the launcher can read, never the dev server's HTML error page.
    return failure("run", { name: "Error", message: `worker-run could not complete the run: ${errorMessage(error)}` });
  }
}

type Outcome = { ok: true; result: unknown } | { ok: false; kind: FailureKind; error: SerializedError };

/**
 * Runs in progress in this isolate, by run id, so a cancel request can stop them. A run
 * whose request workerd cancels (hung) never leaves; the status request reports its owner,
 * whose launcher has exited by then.
 */
const runsInProgress = new Map<string, { stopper: RunStopper; owner: number | undefined }>();
/** When this isolate last saw an authenticated run or cancel request, and from which launcher. */
let lastActivity: { at: number; owner: number | undefined } = { at: Date.now(), owner: undefined };

async function runScript(
  body: RunRequest,
  env: unknown,
  ctx: ExecutionContext,
  log: RunLog | undefined,
): Promise<Outcome> {
  const stopper = createRunStopper(body.timeoutMs);
  if (body.runId) runsInProgress.set(body.runId, { stopper, owner: body.owner });
  // Names this run's instance of the script module, and its console.
  const nonce = crypto.randomUUID();
  const runConsole = log ? openRunConsole(nonce, log.sink) : undefined;
  try {
    const context = { env, args: body.args, ctx, signal: stopper.signal };
    const outcome = await Promise.race([callScript(body, nonce, context, log), stopper.stopped]).catch(
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
    runConsole?.close();
    if (body.runId) runsInProgress.delete(body.runId);
    // Vite's module runner gives this module an HMR channel to the dev server; through it the
    // plugin drops this run's instance of the script module from the module graph.
    (import.meta as ImportMeta & { hot?: { send(event: string, data: unknown): void } }).hot?.send(RUN_ENDED_EVENT, {
      nonce,
    });
  }
}

interface ScriptContextValue {
  env: unknown;
  args: string[];
  ctx: ExecutionContext;
  signal: AbortSignal;
}

async function callScript(
  body: RunRequest,
  nonce: string,
  context: ScriptContextValue,
  log: RunLog | undefined,
): Promise<Outcome> {
  const loaded = await importScript(body.script, nonce);
  log?.imported();
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

async function importScript(script: string, nonce: string): Promise<Loaded> {
  try {
    // Goes through Vite's module runner: the plugin canonicalises and checks the path,
    // then the user's own pipeline compiles the file.
    const id = `${SCRIPT_ID_PREFIX}${nonce}/${encodeURIComponent(script)}`;
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

function parseBody(input: unknown): RunRequest | CancelRequest | StatusRequest {
  if (!isRecord(input)) throw new TypeError("The body must be a JSON object.");
  if ("status" in input) {
    if (input.status !== true) throw new TypeError('"status" must be true.');
    return { status: true };
  }
  if ("cancel" in input) {
    if (typeof input.cancel !== "string") throw new TypeError('"cancel" must be a run id.');
    return { cancel: input.cancel, owner: parseOwner(input.owner) };
  }
  const { script, args, timeoutMs, runId, stream, owner } = input;
  if (typeof script !== "string" || script === "") throw new TypeError('"script" must be a non-empty string.');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw new TypeError('"args" must be an array of strings.');
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new TypeError('"timeoutMs" must be a non-negative number.');
  }
  if (runId !== undefined && typeof runId !== "string") throw new TypeError('"runId" must be a string.');
  if (stream !== undefined && typeof stream !== "boolean") throw new TypeError('"stream" must be a boolean.');
  return { script, args, timeoutMs, runId, stream, owner: parseOwner(owner) };
}

function parseOwner(owner: unknown): number | undefined {
  if (owner === undefined) return undefined;
  if (typeof owner === "number" && Number.isInteger(owner) && owner > 0) return owner;
  throw new TypeError('"owner" must be a process id.');
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
  return new Response(JSON.stringify(body), { status, headers: responseHeaders("application/json; charset=utf-8") });
}

function responseHeaders(contentType: string): HeadersInit {
  return { "content-type": contentType, "cache-control": "no-store", [RESPONSE_MARKER_HEADER]: "1" };
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
