import {
  RESPONSE_MARKER_HEADER,
  type EntryOptions,
  type ObjectTarget,
  type CancelRequest,
  type RunFailure,
  type RunRequest,
} from "../shared/protocol.js";
import { failure } from "./outcome.js";
import { joinRunBody, type RunInput } from "./run-input.js";
import { serializeError } from "./serialize.js";

/** What a Durable Object namespace in `env` offers, as far as a run needs it. */
interface ObjectNamespace {
  idFromName(name: string): unknown;
  idFromString(hex: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/**
 * Hands an authenticated run (or the cancel of one) on to the Durable Object instance it names, as a request to the
 * instance's `fetch` with the same headers (so the instance's guard decides exactly as the
 * route's did) and the same body; the instance's answer is the run's answer, streamed through.
 * A target this worker cannot reach is a usage failure that says why.
 */
export async function forwardToObject(
  request: Request,
  body: RunRequest | CancelRequest,
  target: ObjectTarget,
  env: unknown,
  options: EntryOptions,
  input: RunInput | undefined,
): Promise<Response | RunFailure> {
  const found = findNamespace(env, target.binding, options);
  if ("ok" in found) return found;
  let id: unknown;
  try {
    id = target.id === undefined ? found.idFromName(target.name) : found.idFromString(target.id);
  } catch (error) {
    if (target.id === undefined) return failure("run", serializeError(error));
    return usage(
      `"${target.id}" is not an id of the Durable Object namespace ${target.binding}: pass the 64 hex digits of an id of that namespace (what id.toString() gives), or ${target.binding}:<name> for idFromName.`,
    );
  }
  const headers = new Headers(request.headers);
  headers.delete("content-length");
  // A run with input goes on as it came: its JSON line, then the input, still streaming.
  const inner = new Request(request.url, {
    method: "POST",
    headers,
    body: input ? joinRunBody(input.head, input.stream) : JSON.stringify(body),
  });
  let response: Response;
  try {
    response = await found.get(id).fetch(inner);
  } catch (error) {
    return failure("run", serializeError(error));
  }
  if (response.headers.get(RESPONSE_MARKER_HEADER) !== "1") {
    await response.body?.cancel().catch(() => {});
    return usage(
      `The Durable Object behind ${target.binding} answered the run itself (${response.status}), so its class is not one worker-run wraps. worker-run wraps the classes that the Wrangler config binds (durable_objects.bindings[].class_name) and the worker entry exports; export the class from the entry of the worker that defines it.`,
    );
  }
  return response;
}

function findNamespace(env: unknown, binding: string, options: EntryOptions): ObjectNamespace | RunFailure {
  const bindings = (typeof env === "object" && env !== null ? env : {}) as Record<string, unknown>;
  const where = options.workerName ? `the worker "${options.workerName}"` : "this worker";
  const external = options.externalObjects[binding];
  if (external !== undefined) {
    return usage(
      `The Durable Object namespace ${binding} of ${where} belongs to the worker "${external}" (script_name), which this dev server does not run. Add that worker to cloudflare({ auxiliaryWorkers }) in the Vite config, or run the script in the dev server that runs it.`,
    );
  }
  const namespaces = Object.keys(bindings).filter((name) => isNamespace(bindings[name]));
  const known = namespaces.length ? `Its Durable Object namespaces: ${namespaces.join(", ")}.` : "It has no Durable Object namespaces.";
  if (!Object.hasOwn(bindings, binding)) return usage(`No binding ${binding} in the env of ${where}. ${known}`);
  const value = bindings[binding];
  if (!isNamespace(value)) return usage(`The binding ${binding} of ${where} is ${describeBinding(value)}, not a Durable Object namespace. ${known}`);
  return value;
}

/** By workerd's own tag: a service binding with RPC answers every property name with a function. */
function isNamespace(value: unknown): value is ObjectNamespace {
  return Object.prototype.toString.call(value) === "[object DurableObjectNamespace]";
}

function describeBinding(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return "a string (a var or a secret)";
  if (typeof value !== "object") return `a ${typeof value}`;
  const name = (value as object).constructor?.name;
  if (name === "Fetcher") return "a service binding (Fetcher)";
  return name && name !== "Object" ? `a ${name}` : "an object";
}

function usage(message: string): RunFailure {
  return failure("usage", { name: "UsageError", message });
}
