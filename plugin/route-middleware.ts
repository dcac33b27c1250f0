import type { Connect } from "vite";
import {
  RESPONSE_MARKER_HEADER,
  ROUTE_PATH,
  RUN_ID_HEADER,
  RUN_ID_RE,
  TOKEN_HEADER,
  type RunResponse,
} from "../shared/protocol.js";
import { tokenMatches } from "./token.js";

/** Told when a launcher's run starts and when its answer is over, by run id. */
export interface RunTracker {
  started(runId: string): void;
  ended(runId: string): void;
}

/**
 * The route's Node-side middleware, for requests that speak worker-run's protocol (they carry
 * its token header; every other request passes untouched, as does everything the worker
 * decides). It refuses the route written in absolute form (`POST http://localhost:5173/__worker-run`):
 * the Cloudflare plugin builds the worker's URL from that target, and Miniflare then rewrites
 * the Host header to match it, so a foreign Host would reach the worker looking local. And it
 * watches the authenticated runs go by, so that the plugin knows which are in progress and can
 * drop each one's script module once its answer is done.
 */
export function createRouteMiddleware(token: string, runs: RunTracker): Connect.NextHandleFunction {
  return (req, res, next) => {
    const presented = req.headers[TOKEN_HEADER];
    const target = req.url ?? "/";
    if (typeof presented !== "string" || !isRouteTarget(target)) {
      next();
      return;
    }
    if (!target.startsWith("/")) {
      refuse(res, "The route only accepts origin-form request targets.");
      return;
    }
    const runId = req.headers[RUN_ID_HEADER];
    if (req.method === "POST" && typeof runId === "string" && RUN_ID_RE.test(runId) && tokenMatches(presented, token)) {
      runs.started(runId);
      res.once("close", () => runs.ended(runId));
    }
    next();
  };
}

function refuse(res: Parameters<Connect.NextHandleFunction>[1], message: string): void {
  const body: RunResponse = { ok: false, kind: "forbidden", error: { name: "Forbidden", message } };
  res.statusCode = 400;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader(RESPONSE_MARKER_HEADER, "1");
  res.end(JSON.stringify(body));
}

function isRouteTarget(target: string): boolean {
  if (target.startsWith("/")) return target === ROUTE_PATH || target.startsWith(`${ROUTE_PATH}?`);
  try {
    return new URL(target).pathname === ROUTE_PATH;
  } catch {
    return false;
  }
}
