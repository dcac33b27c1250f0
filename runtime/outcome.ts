import { RUN_QUERY, type FailureKind, type SerializedError } from "../shared/protocol.js";

/** How a run ended, before timing is added. */
export type Outcome = { ok: true; result: unknown } | { ok: false; kind: FailureKind; error: SerializedError };

/** A failed outcome; the error's text names the script as the user knows it. */
export function failure(kind: FailureKind, error: SerializedError): Extract<Outcome, { ok: false }> {
  return { ok: false, kind, error: withoutRunQuery(error) };
}

const RUN_QUERY_RE = new RegExp(`\\?${RUN_QUERY}=[\\w-]+`, "g");

/** Stack frames name the script as the user knows it, without this run's query. */
function withoutRunQuery(error: SerializedError): SerializedError {
  return {
    ...error,
    message: error.message.replace(RUN_QUERY_RE, ""),
    ...(error.stack === undefined ? {} : { stack: error.stack.replace(RUN_QUERY_RE, "") }),
    ...(error.cause === undefined ? {} : { cause: withoutRunQuery(error.cause) }),
  };
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
