// runtime/guard.ts: the checks every request to the route passes before anything is read.
// Runs in Node with real fetch Request objects. `crypto.subtle.timingSafeEqual` is a workerd
// extension Node lacks, so each test installs a stand-in (node:crypto's, throwing on unequal
// lengths as workerd does) and removes it afterwards.
import { timingSafeEqual as nodeTimingSafeEqual } from "node:crypto";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { digestToken } from "../../plugin/token.js";
import { checkRunRequest } from "../../runtime/guard.js";
import { ROUTE_PATH, TOKEN_HEADER, type GuardOptions } from "../../shared/protocol.js";

const TOKEN = "a".repeat(64);
const OPTIONS: GuardOptions = { tokenDigest: digestToken(TOKEN), allowedHosts: [] };

const METHOD = { status: 405, message: "Only POST is accepted." };
const MEDIA = { status: 415, message: "Only application/json is accepted." };
const HOST = { status: 403, message: "This host is not allowed to run scripts." };
const ORIGIN = { status: 403, message: "Cross-origin requests cannot run scripts." };
const SITE = { status: 403, message: "Cross-site requests cannot run scripts." };
const TOKEN_REFUSAL = { status: 403, message: "Missing or wrong worker-run token." };

interface Shape {
  /** The request's URL origin; the Host header follows it unless `host` says otherwise. */
  base?: string;
  path?: string;
  method?: string;
  /** Headers to set (a string) or leave out (null); the rest are the launcher's. */
  headers?: Record<string, string | null>;
}

/** A request as the launcher sends it, changed by `shape`. */
function runRequest({ base = "http://localhost:5173", path = ROUTE_PATH, method = "POST", headers = {} }: Shape = {}) {
  const all: Record<string, string | null> = {
    "content-type": "application/json",
    host: new URL(base).host,
    [TOKEN_HEADER]: TOKEN,
    ...headers,
  };
  const init = new Headers();
  for (const [name, value] of Object.entries(all)) if (value !== null) init.set(name, value);
  const body = method === "GET" || method === "HEAD" ? undefined : "{}";
  return new Request(`${base}${path}`, { method, headers: init, body });
}

function check(shape: Shape = {}, options: GuardOptions = OPTIONS) {
  return checkRunRequest(runRequest(shape), options);
}

const subtle = crypto.subtle as typeof crypto.subtle & { timingSafeEqual?: unknown };
let compare: ReturnType<typeof vi.fn<(a: Uint8Array, b: Uint8Array) => boolean>>;

beforeEach(() => {
  expect(subtle.timingSafeEqual).toBeUndefined(); // Node's own: the stand-in never leaks.
  compare = vi.fn((a: Uint8Array, b: Uint8Array) => {
    // workerd throws on buffers of different lengths rather than answering false.
    if (a.byteLength !== b.byteLength) throw new TypeError("Input buffers must have the same byte length.");
    return nodeTimingSafeEqual(a, b);
  });
  Object.defineProperty(subtle, "timingSafeEqual", { value: compare, configurable: true, writable: true });
});

afterEach(() => {
  Reflect.deleteProperty(subtle, "timingSafeEqual");
  vi.restoreAllMocks();
});

describe("checkRunRequest: a request as the launcher sends it", () => {
  test("passes, comparing digests in constant time", async () => {
    await expect(check()).resolves.toBeUndefined();
    expect(compare).toHaveBeenCalledTimes(1);
    const [actual, expected] = compare.mock.calls[0]!;
    expect(actual.byteLength).toBe(32);
    expect(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength).toString("hex")).toBe(
      OPTIONS.tokenDigest,
    );
  });
});

describe("method", () => {
  test.each(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])("%s is refused with 405", async (method) => {
    await expect(check({ method })).resolves.toEqual(METHOD);
  });
});

describe("content type", () => {
  test.each([
    ["application/json"],
    ["application/json; charset=utf-8"],
    ["Application/JSON ; charset=UTF-8"],
  ])("%s is accepted", async (type) => {
    await expect(check({ headers: { "content-type": type } })).resolves.toBeUndefined();
  });

  test.each([
    ["text/plain", "text/plain"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["a JSON-like type", "application/jsonx"],
    ["a structured-syntax suffix", "application/vnd.api+json"],
    ["empty", ""],
  ])("%s is refused with 415", async (_name, type) => {
    await expect(check({ headers: { "content-type": type } })).resolves.toEqual(MEDIA);
  });

  test("a missing content type is refused with 415", async () => {
    // A string body would make fetch add text/plain itself; a body-less POST has none.
    const request = new Request(`http://localhost:5173${ROUTE_PATH}`, {
      method: "POST",
      headers: { host: "localhost:5173", [TOKEN_HEADER]: TOKEN },
    });
    expect(request.headers.has("content-type")).toBe(false);
    await expect(checkRunRequest(request, OPTIONS)).resolves.toEqual(MEDIA);
  });
});

describe("host", () => {
  test.each(["http://localhost:5173", "http://127.0.0.1:5173", "http://[::1]:5173", "http://LOCALHOST:8787", "http://localhost"])(
    "%s (URL and Host header) is accepted",
    async (base) => {
      await expect(check({ base })).resolves.toBeUndefined();
    },
  );

  test.each(["http://evil.example:5173", "http://localhost.evil.example:5173", "http://127.0.0.1.nip.io:5173", "http://[::2]:5173"])(
    "%s (URL and Host header) is refused",
    async (base) => {
      await expect(check({ base })).resolves.toEqual(HOST);
    },
  );

  test.each([
    ["evil.example:5173"],
    ["evil.example"],
    ["localhost.evil.example:5173"],
    ["127.0.0.1.nip.io:5173"],
    ["localhost:5173@evil.example"],
    ["[::1"],
    [""],
  ])("a loopback URL with Host header %j is refused", async (host) => {
    await expect(check({ headers: { host } })).resolves.toEqual(HOST);
  });

  test("a loopback URL without a Host header is refused", async () => {
    await expect(check({ headers: { host: null } })).resolves.toEqual(HOST);
  });

  test("a foreign URL with a loopback Host header is refused", async () => {
    await expect(check({ base: "http://evil.example:5173", headers: { host: "localhost:5173" } })).resolves.toEqual(HOST);
  });

  test("a loopback Host header on another loopback name or port is accepted (both are loopback)", async () => {
    await expect(check({ headers: { host: "127.0.0.1:9999" } })).resolves.toBeUndefined();
  });

  test("allowedHosts adds names, for both the URL and the Host header", async () => {
    const options = { ...OPTIONS, allowedHosts: ["dev.example.test"] };
    await expect(check({ base: "http://dev.example.test:5173" }, options)).resolves.toBeUndefined();
    await expect(check({ base: "http://DEV.example.test:5173" }, options)).resolves.toBeUndefined();
    await expect(check({ headers: { host: "dev.example.test" } }, options)).resolves.toBeUndefined();
    await expect(check({ base: "http://other.example.test:5173" }, options)).resolves.toEqual(HOST);
    await expect(check({ base: "http://sub.dev.example.test:5173" }, options)).resolves.toEqual(HOST);
    await expect(check({ base: "http://dev.example.test:5173" })).resolves.toEqual(HOST);
  });
});

describe("origin", () => {
  test("an absent Origin is accepted", async () => {
    await expect(check({ headers: { origin: null } })).resolves.toBeUndefined();
  });

  test("the request's own origin is accepted", async () => {
    await expect(check({ headers: { origin: "http://localhost:5173" } })).resolves.toBeUndefined();
    await expect(
      check({ base: "http://127.0.0.1:8787", headers: { origin: "http://127.0.0.1:8787" } }),
    ).resolves.toBeUndefined();
  });

  test.each([
    ["null", "null"],
    ["a foreign site", "https://evil.example"],
    ["another port", "http://localhost:5174"],
    ["another loopback name", "http://127.0.0.1:5173"],
    ["another scheme", "https://localhost:5173"],
  ])("%s is refused", async (_name, origin) => {
    await expect(check({ headers: { origin } })).resolves.toEqual(ORIGIN);
  });
});

describe("Sec-Fetch-Site", () => {
  test.each(["same-origin", "none"])("%s is accepted", async (site) => {
    await expect(check({ headers: { "sec-fetch-site": site } })).resolves.toBeUndefined();
  });

  test.each(["cross-site", "same-site", ""])("%j is refused", async (site) => {
    await expect(check({ headers: { "sec-fetch-site": site } })).resolves.toEqual(SITE);
  });
});

describe("token", () => {
  test.each([
    ["missing", null],
    ["wrong, same length", "b".repeat(64)],
    ["wrong, one character off", `${"a".repeat(63)}b`],
    ["wrong, shorter", "a".repeat(63)],
    ["wrong, longer", "a".repeat(65)],
    ["the digest itself", digestToken(TOKEN)],
    ["empty", ""],
  ])("%s is refused", async (_name, token) => {
    await expect(check({ headers: { [TOKEN_HEADER]: token } })).resolves.toEqual(TOKEN_REFUSAL);
  });

  test("the token is never compared as presented: only fixed-size digests reach timingSafeEqual", async () => {
    await check({ headers: { [TOKEN_HEADER]: "short" } });
    await check({ headers: { [TOKEN_HEADER]: "x".repeat(500) } });
    expect(compare).toHaveBeenCalledTimes(2);
    for (const [actual, expected] of compare.mock.calls) {
      expect([actual.byteLength, expected.byteLength]).toEqual([32, 32]);
    }
  });
});

describe("the order of the checks", () => {
  const foreign = "https://evil.example";

  test("method first: a GET that fails every other check gets 405, and no digest is taken", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    const refusal = await check({
      method: "GET",
      headers: {
        "content-type": "text/plain",
        host: "evil.example",
        origin: foreign,
        "sec-fetch-site": "cross-site",
        [TOKEN_HEADER]: "wrong",
      },
    });
    expect(refusal).toEqual(METHOD);
    expect(digest).not.toHaveBeenCalled();
    expect(compare).not.toHaveBeenCalled();
  });

  test("then the content type, before the Host", async () => {
    const refusal = await check({ headers: { "content-type": "text/plain", host: "evil.example", origin: foreign } });
    expect(refusal).toEqual(MEDIA);
  });

  test("then the Host, before the Origin", async () => {
    const refusal = await check({
      headers: { host: "evil.example", origin: foreign, "sec-fetch-site": "cross-site", [TOKEN_HEADER]: "wrong" },
    });
    expect(refusal).toEqual(HOST);
  });

  test("then the Origin, before Sec-Fetch-Site", async () => {
    const refusal = await check({ headers: { origin: foreign, "sec-fetch-site": "cross-site" } });
    expect(refusal).toEqual(ORIGIN);
  });

  test("a cross-origin request with a wrong token gets the Origin refusal, and no digest is taken", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    const refusal = await check({ headers: { origin: foreign, [TOKEN_HEADER]: "wrong" } });
    expect(refusal).toEqual(ORIGIN);
    expect(digest).not.toHaveBeenCalled();
  });

  test("Sec-Fetch-Site before the token", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    const refusal = await check({ headers: { "sec-fetch-site": "same-site", [TOKEN_HEADER]: "wrong" } });
    expect(refusal).toEqual(SITE);
    expect(digest).not.toHaveBeenCalled();
  });

  test("the token last: a request that passes everything else has its token hashed once", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    await expect(check({ headers: { [TOKEN_HEADER]: "wrong" } })).resolves.toEqual(TOKEN_REFUSAL);
    expect(digest).toHaveBeenCalledTimes(1);
    expect(digest.mock.calls[0]![0]).toBe("SHA-256");
  });

  test("the body is never read", async () => {
    const request = runRequest({ headers: { [TOKEN_HEADER]: "wrong" } });
    await checkRunRequest(request, OPTIONS);
    expect(request.bodyUsed).toBe(false);
    const accepted = runRequest();
    await checkRunRequest(accepted, OPTIONS);
    expect(accepted.bodyUsed).toBe(false);
  });
});
