/** Which stream a console method writes to, as Node's console does. */
export type LogStream = "stdout" | "stderr";

/** Receives one formatted console call. */
export type LogSink = (stream: LogStream, text: string) => void;

const METHODS: Record<string, LogStream> = {
  log: "stdout",
  info: "stdout",
  debug: "stdout",
  warn: "stderr",
  error: "stderr",
};

interface CaptureState {
  sink: LogSink | undefined;
}

// On globalThis, so that a re-evaluated copy of this module (HMR of the entry) finds the
// patch already installed instead of wrapping the console a second time.
const STATE_KEY = Symbol.for("vite-plugin-worker-run.console-capture");

function installOnce(): CaptureState {
  const global = globalThis as unknown as Record<symbol, CaptureState | undefined>;
  const existing = global[STATE_KEY];
  if (existing) return existing;
  const state: CaptureState = { sink: undefined };
  const target = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const [method, stream] of Object.entries(METHODS)) {
    const original = target[method]!.bind(console);
    target[method] = (...args: unknown[]) => {
      if (state.sink) state.sink(stream, formatArgs(args));
      else original(...args);
    };
  }
  global[STATE_KEY] = state;
  return state;
}

/**
 * Sends every console call to `sink` instead of the terminal until the returned function
 * is called. One capture at a time per isolate: the dispatcher runs scripts one after the
 * other, so each run's lines are its own.
 */
export function captureConsole(sink: LogSink): () => void {
  const state = installOnce();
  state.sink = sink;
  return () => {
    if (state.sink === sink) state.sink = undefined;
  };
}

/** Roughly what Node prints: strings as they are, errors with their stack, the rest as JSON. */
export function formatArgs(args: readonly unknown[]): string {
  return args.map(formatValue).join(" ");
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `[Function ${value.name || "(anonymous)"}]`;
  if (value === undefined || typeof value === "symbol") return String(value);
  try {
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? `${inner}n` : inner)) ?? String(value);
  } catch {
    return String(value);
  }
}
