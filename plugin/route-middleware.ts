import type { Connect } from "vite";
import { RESPONSE_MARKER_HEADER, ROUTE_PATH, TOKEN_HEADER, type RunResponse } from "../shared/protocol.js";

/**
 * Refuses requests for the route written in absolute form (`POST http://localhost:5173/__worker-run`).
 * The Cloudflare plugin builds the worker's URL from that target, and Miniflare then rewrites
 * the Host header to match it, so a foreign Host would reach the worker looking local.
 * Everything else the worker checks itself.
 */
export const refuseAbsoluteFormTarget: Connect.NextHandleFunction = (req, res, next) => {
  const target = req.url ?? "/";
  // Like the worker, only requests that speak worker-run's protocol (they carry its header).
  if (target.startsWith("/") || req.headers[TOKEN_HEADER] === undefined || !isRouteTarget(target)) {
    next();
    return;
  }
  const body: RunResponse = {
    ok: false,
    kind: "forbidden",
    error: { name: "Forbidden", message: "The route only accepts origin-form request targets." },
  };
  res.statusCode = 400;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader(RESPONSE_MARKER_HEADER, "1");
  res.end(JSON.stringify(body));
};

function isRouteTarget(target: string): boolean {
  try {
    return new URL(target).pathname === ROUTE_PATH;
  } catch {
    return false;
  }
}
