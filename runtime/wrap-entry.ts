import type { EntryOptions } from "../shared/protocol.js";
import { handleRunRequest } from "./dispatcher.js";
import { isRunRequest } from "./run-request.js";

export { wrapDurableObjectClass } from "./durable-object.js";

type FetchHandler = (request: Request, env: unknown, ctx: ExecutionContext) => unknown;
type EntrypointClass = new (ctx: ExecutionContext, env: unknown) => { fetch?: unknown };

/**
 * Wraps the default export of the user's worker entry so that `fetch` answers the
 * worker-run route first and hands every other request to the user's code unchanged.
 * Keeps the shape the Cloudflare runner expects: an object stays an object (a Proxy,
 * so `this` and the other handlers are untouched), a `WorkerEntrypoint` class stays a
 * subclass of it.
 */
export function wrapDefaultExport(userDefault: unknown, options: EntryOptions): unknown {
  if (typeof userDefault === "function" && typeof userDefault.prototype === "object") {
    return wrapEntrypointClass(userDefault as EntrypointClass, options);
  }
  if (typeof userDefault === "object" && userDefault !== null) {
    return wrapHandlerObject(userDefault, options);
  }
  if (userDefault === undefined) {
    return { fetch: routeFirst(undefined, undefined, options) };
  }
  return userDefault; // Not a shape the runner accepts; let it report that as before.
}

function routeFirst(userFetch: unknown, receiver: unknown, options: EntryOptions): FetchHandler {
  return (request, env, ctx) => {
    if (isRunRequest(request)) return handleRunRequest(request, env, ctx, options);
    if (typeof userFetch !== "function") {
      // The Cloudflare runner's own words for this case, so the app fails exactly as before.
      throw new TypeError(`Expected "default" export of "${options.entryPath}" to define a \`fetch()\` function.`);
    }
    return (userFetch as FetchHandler).call(receiver, request, env, ctx);
  };
}

function wrapHandlerObject(handler: object, options: EntryOptions): object {
  const fetch = routeFirst(Reflect.get(handler, "fetch"), handler, options);
  const descriptor = Object.getOwnPropertyDescriptor(handler, "fetch");
  // A Proxy may not report another `fetch` than a frozen handler's own, so for one it stands
  // in front of an object that inherits from the handler (`instanceof` still holds).
  const frozen = descriptor !== undefined && !descriptor.configurable && !descriptor.writable;
  // Methods run with the real object as `this` (not the Proxy), so `#private` fields work;
  // each is bound once, so reading it twice gives the same function.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(frozen ? Object.create(handler) : handler, {
    get: (_target, key) => {
      if (key === "fetch") return fetch;
      const value: unknown = Reflect.get(handler, key, handler);
      if (typeof value !== "function") return value;
      const cached = bound.get(key) as { original: unknown; bound: unknown } | undefined;
      if (cached?.original === value) return cached.bound;
      const method = (value as (...args: unknown[]) => unknown).bind(handler);
      bound.set(key, { original: value, bound: method });
      return method;
    },
    has: (_target, key) => key === "fetch" || Reflect.has(handler, key),
  });
}

function wrapEntrypointClass(UserEntrypoint: EntrypointClass, options: EntryOptions): EntrypointClass {
  const Wrapped = class extends UserEntrypoint {
    constructor(ctx: ExecutionContext, env: unknown) {
      super(ctx, env);
      // An own property, so it wins over both a prototype method and a class field.
      const fetch = routeFirst(this.fetch, this, options);
      Object.defineProperty(this, "fetch", {
        configurable: true,
        writable: true,
        value: (request: Request) => fetch(request, env, ctx),
      });
    }
  };
  Object.defineProperty(Wrapped, "name", { value: UserEntrypoint.name });
  return Wrapped;
}
