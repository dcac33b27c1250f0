import type { SerializedError } from "../shared/protocol.js";

const MAX_CAUSE_DEPTH = 8;

/**
 * Turns anything thrown into a plain error record. Reading `stack` here is what makes
 * Vite's module runner source-map it, so frames name the original `.ts` lines.
 */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
  if (thrown instanceof Error) {
    const record: SerializedError = {
      name: thrown.name || "Error",
      message: thrown.message,
    };
    if (typeof thrown.stack === "string") record.stack = thrown.stack;
    if (thrown.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      record.cause = serializeError(thrown.cause, depth + 1);
    }
    return record;
  }
  return { name: "Error", message: describeThrownValue(thrown) };
}

function describeThrownValue(value: unknown): string {
  if (typeof value === "string") return `${value} (a string was thrown, not an Error)`;
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return `${shown} (a ${value === null ? "null" : typeof value} was thrown, not an Error)`;
}

/**
 * Finds the first part of `value` that JSON cannot carry faithfully and says where it is
 * (`result.rows[2].id is a BigInt`). Returns undefined when the value is safe to send.
 * JSON.stringify alone would throw on some of these and silently drop the others.
 */
export function findUnserializable(value: unknown): string | undefined {
  return visit(value, "result", new Set<object>());
}

function visit(input: unknown, path: string, ancestors: Set<object>): string | undefined {
  let value = input;
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: (key: string) => unknown }).toJSON("");
  }
  switch (typeof value) {
    case "bigint":
      return `${path} is a BigInt (${String(value)}n); return it as a string or a number`;
    case "function":
      return `${path} is a function`;
    case "symbol":
      return `${path} is a symbol`;
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return undefined;
  if (ancestors.has(value)) return `${path} refers back to one of its parents (a cycle)`;
  if (value instanceof Map || value instanceof Set) {
    return `${path} is a ${value instanceof Map ? "Map" : "Set"}, which JSON turns into {}; convert it with Object.fromEntries() or Array.from()`;
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const problem = visit(value[index], `${path}[${index}]`, ancestors);
        if (problem) return problem;
      }
      return undefined;
    }
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      const problem = visit(child, `${path}${formatKey(key)}`, ancestors);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
