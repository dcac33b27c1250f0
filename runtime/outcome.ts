import { RUN_QUERY, type FailureKind, type RunFailure, type SerializedError } from "../shared/protocol.js";

/** A failed run's answer; the error's text names the script as the user knows it. */
export function failure(kind: FailureKind, error: SerializedError): RunFailure {
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
