// runtime/wrap-entry.ts: the wrapper around the user's default export. It must keep the shape
// the Cloudflare runner expects and hand every request but the route's to the user's code.
// Runs in Node: the dispatcher behind the route only needs fetch's Request/Response and
// `crypto`, plus `crypto.subtle.timingSafeEqual` (a workerd extension) once a request
// reaches the token check, so that one is stubbed for the duration of each test.
import { timingSafeEqual as nodeTimingSafeEqual } from "node:crypto";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { isRunRequest } from "../../runtime/run-request.js";
import { wrapDefaultExport, wrapDurableObjectClass } from "../../runtime/wrap-entry.js";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER, type EntryOptions } from "../../shared/protocol.js";

const OPTIONS: EntryOptions = {
  tokenDigest: "ab".repeat(32), // No token hashes to this: every route request is refused.
  allowedHosts: [],
  entryPath: "/app/src/index.ts",
  workerName: "app",
  externalObjects: {},
};
const ORIGIN = "http://localhost:5173";

type Handler = (request: Request, env?: unknown, ctx?: unknown) => unknown;
type Wrapped = Record<string, unknown> & { fetch: Handler };
type WrappedClass = new (ctx: unknown, env: unknown) => Wrapped;

const env = { DB: "binding" };
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} };

/** A request to the app, not the route. */
function appRequest(path = "/api/users") {
  return new Request(`${ORIGIN}${path}`);
}

/** What the launcher sends, but with a token the dispatcher does not know. */
function routeRequest(headers: Record<string, string> = { [TOKEN_HEADER]: "not-the-token" }, path = ROUTE_PATH) {
  return new Request(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { host: "localhost:5173", "content-type": "application/json", ...headers },
    body: JSON.stringify({ script: "/app/scripts/seed.ts", args: [] }),
  });
}

/** Asserts the dispatcher (not the app) answered, refusing the request. */
async function expectRefusedByDispatcher(answer: unknown) {
  const response = await answer;
  expect(response).toBeInstanceOf(Response);
  const { status, headers } = response as Response;
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  expect(headers.get(RESPONSE_MARKER_HEADER)).toBe("1");
  expect(await (response as Response).json()).toMatchObject({ ok: false, kind: "forbidden" });
}

const subtle = crypto.subtle as typeof crypto.subtle & { timingSafeEqual?: unknown };

beforeEach(() => {
  Object.defineProperty(subtle, "timingSafeEqual", {
    configurable: true,
    writable: true,
    value: (a: Uint8Array, b: Uint8Array) => {
      if (a.byteLength !== b.byteLength) throw new TypeError("Input buffers must have the same byte length.");
      return nodeTimingSafeEqual(a, b);
    },
  });
});

afterEach(() => {
  Reflect.deleteProperty(subtle, "timingSafeEqual");
});

describe("isRunRequest", () => {
  test("the route's exact path with the token header, whatever its value", () => {
    expect(isRunRequest(routeRequest())).toBe(true);
    expect(isRunRequest(routeRequest({ [TOKEN_HEADER]: "" }))).toBe(true);
    expect(isRunRequest(new Request(`${ORIGIN}${ROUTE_PATH}`, { headers: { [TOKEN_HEADER]: "x" } }))).toBe(true);
    expect(isRunRequest(new Request(`${ORIGIN}${ROUTE_PATH}?q=1`, { headers: { [TOKEN_HEADER]: "x" } }))).toBe(true);
  });

  test("not without the header", () => {
    expect(isRunRequest(routeRequest({}))).toBe(false);
    expect(isRunRequest(new Request(`${ORIGIN}${ROUTE_PATH}`))).toBe(false);
  });

  test.each([`${ROUTE_PATH}/x`, `${ROUTE_PATH}x`, `/api?x=${ROUTE_PATH}`, `/api#${ROUTE_PATH}`, `/x${ROUTE_PATH}`, "/"])(
    "not on another path: %s",
    (path) => {
      expect(isRunRequest(routeRequest({ [TOKEN_HEADER]: "x" }, path))).toBe(false);
    },
  );
});

describe("an object default export", () => {
  class Handler {
    #secret = "private";
    calls: unknown[][] = [];
    fetch(request: Request, env: unknown, ctx: unknown) {
      this.calls.push([request, env, ctx]);
      return new Response(`app ${this.#secret} ${new URL(request.url).pathname}`);
    }
    scheduled(event: unknown) {
      return `scheduled ${this.#secret} ${String(event)}`;
    }
    async queue(batch: unknown) {
      return `queue ${this.#secret} ${String(batch)}`;
    }
    custom() {
      return this;
    }
  }

  test("stays an object whose other handlers and `this` (#private fields too) are the user's", async () => {
    const user = new Handler();
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped & Handler;
    expect(typeof wrapped).toBe("object");
    expect(wrapped).toBeInstanceOf(Handler);
    expect(wrapped.scheduled("tick")).toBe("scheduled private tick");
    await expect(wrapped.queue("batch")).resolves.toBe("queue private batch");
    expect(wrapped.custom()).toBe(user);
    expect(wrapped.calls).toBe(user.calls); // Plain values pass through.
    expect(wrapped.scheduled).toBe(wrapped.scheduled); // Bound once.
    expect("fetch" in wrapped && "scheduled" in wrapped && "queue" in wrapped).toBe(true);
  });

  test("its fetch passes a non-route request to the user's fetch with (request, env, ctx)", async () => {
    const user = new Handler();
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped & Handler;
    expect(wrapped.fetch).not.toBe(Handler.prototype.fetch);
    const request = appRequest();
    const response = (await wrapped.fetch(request, env, ctx)) as Response;
    expect(await response.text()).toBe("app private /api/users");
    expect(user.calls).toEqual([[request, env, ctx]]);
    expect(user.calls[0]![0]).toBe(request);
  });

  test("a plain object literal: methods see the object itself", async () => {
    const seen: unknown[] = [];
    const user = {
      name: "app",
      fetch(this: { name: string }, request: Request, e: unknown, c: unknown) {
        seen.push(this, request, e, c);
        return new Response(this.name);
      },
      scheduled() {
        return this;
      },
    };
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped;
    const request = appRequest();
    expect(await ((await wrapped.fetch(request, env, ctx)) as Response).text()).toBe("app");
    expect(seen).toEqual([user, request, env, ctx]);
    expect(seen[0]).toBe(user);
    expect((wrapped.scheduled as () => unknown)()).toBe(user);
    expect(wrapped.name).toBe("app");
  });

  test("a route request with the token header is answered by the dispatcher, not the app", async () => {
    const user = new Handler();
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped;
    await expectRefusedByDispatcher(wrapped.fetch(routeRequest(), env, ctx));
    await expectRefusedByDispatcher(wrapped.fetch(new Request(`${ORIGIN}${ROUTE_PATH}`, { headers: { [TOKEN_HEADER]: "t" } }), env, ctx));
    expect(user.calls).toEqual([]);
  });

  test("a route request without the token header reaches the app", async () => {
    const user = new Handler();
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped;
    const request = routeRequest({});
    const response = (await wrapped.fetch(request, env, ctx)) as Response;
    expect(await response.text()).toBe(`app private ${ROUTE_PATH}`);
    expect(response.headers.has(RESPONSE_MARKER_HEADER)).toBe(false);
    expect(user.calls).toEqual([[request, env, ctx]]);
  });

  test("without a fetch, a non-route request fails with the runner's own message; the route still works", async () => {
    const wrapped = wrapDefaultExport({ scheduled() {} }, OPTIONS) as Wrapped;
    expect("fetch" in wrapped).toBe(true);
    expect(typeof wrapped.fetch).toBe("function");
    expect(() => wrapped.fetch(appRequest(), env, ctx)).toThrow(
      new TypeError('Expected "default" export of "/app/src/index.ts" to define a `fetch()` function.'),
    );
    await expectRefusedByDispatcher(wrapped.fetch(routeRequest(), env, ctx));
  });
});

describe("a frozen handler object", () => {
  test("gets a fetch that routes, and keeps its other handlers", async () => {
    const calls: unknown[][] = [];
    const user = Object.freeze({
      label: "frozen",
      fetch(this: unknown, request: Request, e: unknown, c: unknown) {
        calls.push([this, request, e, c]);
        return new Response("app");
      },
      scheduled(this: { label: string }) {
        return this.label;
      },
    });
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped;
    expect(Object.isFrozen(user)).toBe(true);
    expect(wrapped.fetch).not.toBe(user.fetch);
    const request = appRequest();
    expect(await ((await wrapped.fetch(request, env, ctx)) as Response).text()).toBe("app");
    expect(calls).toEqual([[user, request, env, ctx]]);
    expect(calls[0]![0]).toBe(user);
    expect((wrapped.scheduled as () => unknown).call(wrapped)).toBe("frozen");
    await expectRefusedByDispatcher(wrapped.fetch(routeRequest(), env, ctx));
    expect(calls).toHaveLength(1);
  });

  test("a frozen class instance keeps `this` for its fetch (#private fields)", async () => {
    class Handler {
      #secret = "private";
      fetch() {
        return new Response(this.#secret);
      }
    }
    const wrapped = wrapDefaultExport(Object.freeze(new Handler()), OPTIONS) as Wrapped;
    expect(await ((await wrapped.fetch(appRequest(), env, ctx)) as Response).text()).toBe("private");
  });

  test("a frozen class instance keeps `this` for its other handlers, called as the runner calls them", () => {
    class Handler {
      #secret = "private";
      fetch = (): Response => new Response("app");
      scheduled(): string {
        return this.#secret;
      }
    }
    const user = Object.freeze(new Handler());
    const wrapped = wrapDefaultExport(user, OPTIONS) as Wrapped & { scheduled: () => string };
    // The Cloudflare runner calls `exportValue[key].call(exportValue, …)`.
    expect(wrapped.scheduled.call(wrapped)).toBe("private");
    expect(wrapped).toBeInstanceOf(Handler);
  });
});

describe("a class default export (a WorkerEntrypoint)", () => {
  /** Stands in for `WorkerEntrypoint`: it keeps ctx and env. */
  class Entrypoint {
    constructor(
      readonly ctx: unknown,
      readonly env: unknown,
    ) {}
  }

  class App extends Entrypoint {
    #secret = "private";
    calls: unknown[][] = [];
    fetch(request: Request) {
      this.calls.push([this, request]);
      return new Response(`app ${this.#secret}`);
    }
    greet(name: string) {
      return `hello ${name} from ${this.#secret}`;
    }
  }

  test("stays a subclass of it, with the same name", () => {
    const Wrapped = wrapDefaultExport(App, OPTIONS) as unknown as WrappedClass;
    expect(Wrapped).not.toBe(App);
    expect(Object.getPrototypeOf(Wrapped)).toBe(App);
    expect(Wrapped.prototype).toBeInstanceOf(App);
    expect(Wrapped.name).toBe("App");
    const instance = new Wrapped(ctx, env) as unknown as App;
    expect(instance).toBeInstanceOf(App);
    expect(instance).toBeInstanceOf(Entrypoint);
    expect(instance.ctx).toBe(ctx);
    expect(instance.env).toBe(env);
    expect(instance.greet("you")).toBe("hello you from private");
  });

  test("its instances' fetch passes a non-route request to the user's fetch, `this` the instance", async () => {
    const Wrapped = wrapDefaultExport(App, OPTIONS) as unknown as WrappedClass;
    const instance = new Wrapped(ctx, env);
    const request = appRequest();
    expect(await ((await instance.fetch(request)) as Response).text()).toBe("app private");
    const { calls } = instance as unknown as App;
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe(instance);
    expect(calls[0]![1]).toBe(request);
  });

  test("its instances' fetch answers the route through the dispatcher", async () => {
    const Wrapped = wrapDefaultExport(App, OPTIONS) as unknown as WrappedClass;
    const instance = new Wrapped(ctx, env);
    await expectRefusedByDispatcher(instance.fetch(routeRequest()));
    expect((instance as unknown as App).calls).toEqual([]);
  });

  test("a fetch defined as a class field routes too", async () => {
    class FieldApp extends Entrypoint {
      fetch = (request: Request) => new Response(`field ${new URL(request.url).pathname}`);
    }
    const Wrapped = wrapDefaultExport(FieldApp, OPTIONS) as unknown as WrappedClass;
    expect(Wrapped.name).toBe("FieldApp");
    const instance = new Wrapped(ctx, env);
    expect(await ((await instance.fetch(appRequest("/x"))) as Response).text()).toBe("field /x");
    await expectRefusedByDispatcher(instance.fetch(routeRequest()));
  });

  test("a class without fetch fails a non-route request with the runner's message", async () => {
    class NoFetch extends Entrypoint {}
    const Wrapped = wrapDefaultExport(NoFetch, OPTIONS) as unknown as WrappedClass;
    const instance = new Wrapped(ctx, env);
    expect(() => instance.fetch(appRequest())).toThrow(
      'Expected "default" export of "/app/src/index.ts" to define a `fetch()` function.',
    );
    await expectRefusedByDispatcher(instance.fetch(routeRequest()));
  });
});

describe("no default export", () => {
  test("gives an object whose fetch answers the route and fails anything else with the runner's message", async () => {
    const wrapped = wrapDefaultExport(undefined, OPTIONS) as Wrapped;
    expect(typeof wrapped).toBe("object");
    expect(typeof wrapped.fetch).toBe("function");
    let thrown: unknown;
    try {
      wrapped.fetch(appRequest(), env, ctx);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toBe(
      'Expected "default" export of "/app/src/index.ts" to define a `fetch()` function.',
    );
    await expectRefusedByDispatcher(wrapped.fetch(routeRequest(), env, ctx));
  });
});

describe("shapes the runner does not accept", () => {
  test.each([null, 42, "text"])("%j is returned as it is, for the runner to report", (value) => {
    expect(wrapDefaultExport(value, OPTIONS)).toBe(value);
  });
});

describe("the dispatcher behind the route", () => {
  test("refuses before any token check when the method is wrong (405)", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    const wrapped = wrapDefaultExport({ fetch: () => new Response("app") }, OPTIONS) as Wrapped;
    const response = (await wrapped.fetch(
      new Request(`${ORIGIN}${ROUTE_PATH}`, { headers: { [TOKEN_HEADER]: "x", host: "localhost:5173" } }),
      env,
      ctx,
    )) as Response;
    expect(response.status).toBe(405);
    expect(response.headers.get(RESPONSE_MARKER_HEADER)).toBe("1");
    expect(digest).not.toHaveBeenCalled();
    digest.mockRestore();
  });
});

describe("wrapDurableObjectClass", () => {
  const state = { id: "object-1", waitUntil() {} };

  class Counter {
    hits = 0;
    constructor(
      readonly ctx: unknown,
      readonly env: unknown,
    ) {}
    fetch(request: Request) {
      this.hits += 1;
      return new Response(`counter ${new URL(request.url).pathname} ${this.hits}`);
    }
    increment(by: number) {
      return (this.hits += by);
    }
    static kind = "counter";
  }

  test("keeps the class: its name, its base, its prototype methods and statics, its constructor arguments", () => {
    const Wrapped = wrapDurableObjectClass(Counter, "Counter", OPTIONS) as typeof Counter;
    expect(Wrapped.name).toBe("Counter");
    expect(Wrapped.kind).toBe("counter");
    const instance = new Wrapped(state, env);
    expect(instance).toBeInstanceOf(Counter);
    expect(instance.ctx).toBe(state);
    expect(instance.env).toBe(env);
    expect(instance.increment(2)).toBe(2);
    // Nothing is added to the prototype the Cloudflare runner reads RPC methods from.
    expect(Object.getOwnPropertyNames(Wrapped.prototype)).toEqual(["constructor"]);
    expect(Object.keys(instance)).toEqual(["ctx", "env", "hits"]);
  });

  test("hands every other request to the class's fetch, with the instance as this", async () => {
    const instance = new (wrapDurableObjectClass(Counter, "Counter", OPTIONS) as typeof Counter)(state, env);
    expect(await instance.fetch(appRequest("/hit")).text()).toBe("counter /hit 1");
    expect(instance.hits).toBe(1);
    // A request on the route without the token header is the app's too.
    expect(await instance.fetch(new Request(`${ORIGIN}${ROUTE_PATH}`, { method: "POST" })).text()).toBe(`counter ${ROUTE_PATH} 2`);
  });

  test("answers worker-run's requests with the route's guard: a wrong token is refused and the class never sees it", async () => {
    const instance = new (wrapDurableObjectClass(Counter, "Counter", OPTIONS) as typeof Counter)(state, env);
    await expectRefusedByDispatcher(instance.fetch(routeRequest()));
    expect(instance.hits).toBe(0);
  });

  test("a fetch that is a class field is wrapped too", async () => {
    class FieldFetch {
      fetch = () => new Response("field");
    }
    const instance = new (wrapDurableObjectClass(FieldFetch, "FieldFetch", OPTIONS) as typeof FieldFetch)();
    expect(await instance.fetch().text()).toBe("field");
    await expectRefusedByDispatcher((instance.fetch as unknown as Handler)(routeRequest()));
  });

  test("a class without fetch fails an app request with the Cloudflare runner's own words", () => {
    class RpcOnly {
      ping() {
        return "pong";
      }
    }
    const instance = new (wrapDurableObjectClass(RpcOnly, "RpcOnly", OPTIONS) as typeof RpcOnly)() as RpcOnly & { fetch: Handler };
    expect(instance.ping()).toBe("pong");
    expect(() => instance.fetch(appRequest())).toThrow('Expected "RpcOnly" export of "/app/src/index.ts" to define a `fetch()` function.');
  });

  test.each([undefined, null, 42, { fetch() {} }])("%j (not a class) is returned as it is", (value) => {
    expect(wrapDurableObjectClass(value, "X", OPTIONS)).toBe(value);
  });
});
