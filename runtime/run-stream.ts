import type { RunEvent, RunRequest } from "../shared/protocol.js";
import type { ObjectScope } from "./dispatcher.js";
import { completeRun } from "./execute-script.js";
import type { RunInput } from "./run-input.js";
import { createRunLog } from "./run-log.js";

/**
 * Answers at once with a stream: the script's console lines as they happen, then the end.
 * The script runs in this request's context; the stream keeps the request open.
 */
export function streamRun(
  runId: string,
  body: RunRequest,
  env: unknown,
  ctx: ExecutionContext,
  scope: ObjectScope | undefined,
  headers: HeadersInit,
  input: RunInput | undefined,
): Response {
  const encoder = new TextEncoder();
  const lines: Uint8Array[] = [];
  let ended = false;
  let wake: () => void = () => {};
  const send = (event: RunEvent): void => {
    lines.push(encoder.encode(`${JSON.stringify(event)}\n`));
    wake();
  };
  const log = createRunLog(send);
  void (async () => {
    const response = await completeRun(runId, body, env, ctx, scope, log, input?.stream);
    log.drain();
    send({ type: "done", response });
    await input?.drain();
    ended = true;
    wake();
  })();
  // A pull source: workerd waits on `pull` while the script runs, so a script that awaits
  // something nothing will ever settle is still detected as hung.
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (!lines.length && !ended) await new Promise<void>((resolve) => (wake = resolve));
      if (lines.length) controller.enqueue(lines.shift()!);
      else controller.close();
    },
  });
  return new Response(stream, { status: 200, headers });
}
