import { CONSOLE_REGISTRY_KEY } from "../shared/protocol.js";

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

type ConsoleLookup = (runId: string) => Console | undefined;

// On globalThis (not module state), so every copy of this module, and the script modules
// themselves, share one registry.
function registry(): Map<string, Console> {
  const global = globalThis as unknown as Record<symbol, ConsoleLookup & { consoles?: Map<string, Console> }>;
  const key = Symbol.for(CONSOLE_REGISTRY_KEY);
  const existing = global[key];
  if (existing?.consoles) return existing.consoles;
  const consoles = new Map<string, Console>();
  global[key] = Object.assign((runId: string) => consoles.get(runId), { consoles });
  return consoles;
}

/**
 * Opens the console of one run: log/info/debug/warn/error go to `sink`, formatted; the
 * other methods (table, time, group…) are the real console's. Close it when the run ends.
 */
export function openRunConsole(runId: string, sink: LogSink): { close(): void } {
  const runConsole = Object.create(console) as Record<string, unknown>;
  for (const [method, stream] of Object.entries(METHODS)) {
    runConsole[method] = (...args: unknown[]) => sink(stream, formatArgs(args));
  }
  const consoles = registry();
  consoles.set(runId, runConsole as unknown as Console);
  return { close: () => void consoles.delete(runId) };
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
    return (
      JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? `${inner}n` : inner)) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
