import { INPUT_CONTENT_TYPE, TOKEN_HEADER, type GuardOptions } from "../shared/protocol.js";

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** Why a request was refused; the client learns the status and a fixed sentence. */
export interface Refusal {
  status: number;
  message: string;
}

/**
 * Decides whether a request to the route may run a script. The order is fixed, cheapest and
 * least revealing first: method and content type, Host, Origin / Sec-Fetch-Site, token; so an
 * unauthenticated client learns nothing, and nothing about the body or the file system is
 * looked at before all pass.
 */
export async function checkRunRequest(request: Request, options: GuardOptions): Promise<Refusal | undefined> {
  if (request.method !== "POST") {
    return { status: 405, message: "Only POST is accepted." };
  }
  const type = mediaType(request.headers.get("content-type"));
  if (type !== "application/json" && type !== INPUT_CONTENT_TYPE) {
    return { status: 415, message: "Only application/json is accepted." };
  }
  const url = new URL(request.url);
  // Both must be allowed: a client talking to workerd's socket directly can make the URL
  // (through Miniflare's MF-Original-URL) and the Host header disagree.
  const hostHeader = request.headers.get("host");
  if (!isAllowedHost(url.hostname, options) || hostHeader === null || !isAllowedHost(hostnameOf(hostHeader), options)) {
    return { status: 403, message: "This host is not allowed to run scripts." };
  }
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) {
    return { status: 403, message: "Cross-origin requests cannot run scripts." };
  }
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none") {
    return { status: 403, message: "Cross-site requests cannot run scripts." };
  }
  const token = request.headers.get(TOKEN_HEADER);
  if (token === null || !(await tokenMatches(token, options.tokenDigest))) {
    return { status: 403, message: "Missing or wrong worker-run token." };
  }
  return undefined;
}

function isAllowedHost(hostname: string | undefined, options: GuardOptions): boolean {
  if (hostname === undefined) return false;
  const name = hostname.toLowerCase();
  return LOOPBACK_HOSTS.includes(name) || options.allowedHosts.includes(name);
}

function hostnameOf(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return undefined;
  }
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

/** Constant-time: both sides are fixed-size SHA-256 digests, compared with timingSafeEqual. */
async function tokenMatches(presented: string, expectedDigestHex: string): Promise<boolean> {
  const expected = hexToBytes(expectedDigestHex);
  const actual = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(presented)));
  if (expected.byteLength !== actual.byteLength) return false;
  return crypto.subtle.timingSafeEqual(actual, expected);
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}
