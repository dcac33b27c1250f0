import { ROUTE_PATH, TOKEN_HEADER } from "../shared/protocol.js";

/**
 * Whether a request speaks worker-run's protocol: the route's path and the token header
 * (whatever its value: the dispatcher checks it). Other requests on the path (rwsdk's own
 * `worker-run` uses it too) reach the app as if the plugin were not there.
 */
export function isRunRequest(request: Request): boolean {
  // Cheap pre-check first: this runs on every request the app serves.
  return (
    request.url.includes(ROUTE_PATH) && request.headers.has(TOKEN_HEADER) && new URL(request.url).pathname === ROUTE_PATH
  );
}
