import type { EntryOptions } from "../shared/protocol.js";
import { handleRunRequest, type ObjectScope } from "./dispatcher.js";
import { isRunRequest } from "./run-request.js";

type ObjectClass = new (state: DurableObjectState, env: unknown, ...rest: unknown[]) => object;

/**
 * Wraps a Durable Object class of the entry so that a `--do` run can enter one of its
 * instances: each instance gets an own `fetch` that answers worker-run's requests (checked by
 * the same guard as the route) in the instance's own context, and hands every other request
 * to the class's `fetch` as before. The prototype is the class's own (its RPC methods, alarm
 * and WebSocket handlers are untouched), and the subclass keeps the class's name and base, so
 * the Cloudflare runner sees the same kind of export.
 */
export function wrapDurableObjectClass(userClass: unknown, exportName: string, options: EntryOptions): unknown {
  if (typeof userClass !== "function" || typeof userClass.prototype !== "object") return userClass;
  const UserClass = userClass as ObjectClass;
  const Wrapped = class extends UserClass {
    constructor(state: DurableObjectState, env: unknown, ...rest: unknown[]) {
      super(state, env, ...rest);
      const instance = this as { fetch?: unknown };
      const userFetch = instance.fetch;
      const scope: ObjectScope = { instance: this, state, env };
      Object.defineProperty(this, "fetch", {
        configurable: true,
        writable: true,
        enumerable: false,
        value: (request: Request, ...args: unknown[]) => {
          if (request instanceof Request && isRunRequest(request)) {
            return handleRunRequest(request, env, contextOf(state), options, scope);
          }
          if (typeof userFetch !== "function") {
            // The Cloudflare runner's own words for this case, so the class fails as before.
            throw new TypeError(`Expected "${exportName}" export of "${options.entryPath}" to define a \`fetch()\` function.`);
          }
          return (userFetch as (...a: unknown[]) => unknown).call(this, request, ...args);
        },
      });
    }
  };
  Object.defineProperty(Wrapped, "name", { value: UserClass.name });
  return Wrapped;
}

/** A Durable Object has no ExecutionContext; a script's `ctx` there is its state's `waitUntil`. */
function contextOf(state: DurableObjectState): ExecutionContext {
  return {
    waitUntil: (promise: Promise<unknown>) => state.waitUntil(promise),
    passThroughOnException: () => {},
    props: undefined,
  } as unknown as ExecutionContext;
}
