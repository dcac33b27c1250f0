import type { CancelRequest, RunRequest, StatusRequest } from "../shared/protocol.js";

/** Checks the shape of a request body; throws a TypeError that says what is wrong. */
export function parseBody(input: unknown): RunRequest | CancelRequest | StatusRequest {
  if (!isRecord(input)) throw new TypeError("The body must be a JSON object.");
  if ("status" in input) {
    if (input.status !== true) throw new TypeError('"status" must be true.');
    return { status: true };
  }
  if ("cancel" in input) {
    if (typeof input.cancel !== "string") throw new TypeError('"cancel" must be a run id.');
    return { cancel: input.cancel, owner: parseOwner(input.owner) };
  }
  const { script, eval: code, args, timeoutMs, runId, stream, owner } = input;
  if ((script === undefined) === (code === undefined)) throw new TypeError('Give exactly one of "script" and "eval".');
  if (script !== undefined && (typeof script !== "string" || script === "")) {
    throw new TypeError('"script" must be a non-empty string.');
  }
  if (code !== undefined && typeof code !== "string") throw new TypeError('"eval" must be a string.');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw new TypeError('"args" must be an array of strings.');
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new TypeError('"timeoutMs" must be a non-negative number.');
  }
  if (runId !== undefined && typeof runId !== "string") throw new TypeError('"runId" must be a string.');
  if (stream !== undefined && typeof stream !== "boolean") throw new TypeError('"stream" must be a boolean.');
  const options = { args, timeoutMs, runId, stream, owner: parseOwner(owner) };
  return typeof code === "string" ? { eval: code, ...options } : { script: script as string, ...options };
}

function parseOwner(owner: unknown): number | undefined {
  if (owner === undefined) return undefined;
  if (typeof owner === "number" && Number.isInteger(owner) && owner > 0) return owner;
  throw new TypeError('"owner" must be a process id.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
