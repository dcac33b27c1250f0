import { SESSION_RE, type ObjectTarget, type RouteRequest } from "../shared/protocol.js";

/** Checks the shape of a request body; throws a TypeError that says what is wrong. */
export function parseBody(input: unknown): RouteRequest {
  if (!isRecord(input)) throw new TypeError("The body must be a JSON object.");
  if ("ping" in input) {
    if (input.ping !== true) throw new TypeError('"ping" must be true.');
    return { ping: true };
  }
  if ("cancel" in input) {
    if (typeof input.cancel !== "string") throw new TypeError('"cancel" must be a run id.');
    return input.durableObject === undefined
      ? { cancel: input.cancel }
      : { cancel: input.cancel, durableObject: parseObjectTarget(input.durableObject) };
  }
  const { script, eval: code, migrate, args, timeoutMs, stream, durableObject, session, name } = input;
  if ([script, code, migrate].filter((value) => value !== undefined).length !== 1) {
    throw new TypeError('Give exactly one of "script", "eval" and "migrate".');
  }
  if (migrate !== undefined && !(isRecord(migrate) && (migrate.binding === undefined || (typeof migrate.binding === "string" && migrate.binding !== "")))) {
    throw new TypeError('"migrate" must be an object with an optional non-empty "binding".');
  }
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
  if (stream !== undefined && typeof stream !== "boolean") throw new TypeError('"stream" must be a boolean.');
  if (session !== undefined && !(typeof session === "string" && SESSION_RE.test(session) && typeof code === "string")) {
    throw new TypeError('"session" must be a session id, with "eval".');
  }
  if (name !== undefined && typeof name !== "string") throw new TypeError('"name" must be a string.');
  const options = {
    args,
    ...(name === undefined ? {} : { name }),
    timeoutMs,
    stream,
    ...(durableObject === undefined ? {} : { durableObject: parseObjectTarget(durableObject) }),
    ...(session === undefined ? {} : { session: session as string }),
  };
  if (isRecord(migrate)) return { migrate: migrate.binding === undefined ? {} : { binding: migrate.binding as string }, ...options };
  return typeof code === "string" ? { eval: code, ...options } : { script: script as string, ...options };
}

function parseObjectTarget(input: unknown): ObjectTarget {
  if (!isRecord(input) || typeof input.binding !== "string" || input.binding === "") {
    throw new TypeError('"durableObject" must name a "binding".');
  }
  const { binding, name, id } = input;
  if (typeof name === "string" && id === undefined) return { binding, name };
  if (typeof id === "string" && name === undefined) return { binding, id };
  throw new TypeError('"durableObject" must have exactly one of "name" and "id", a string.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
