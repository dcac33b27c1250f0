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
  const type = value === null ? "null" : typeof value;
  return `${shown} (${/^[aeiou]/.test(type) ? "an" : "a"} ${type} was thrown, not an Error)`;
}

/**
 * Finds the first part of `value` that JSON cannot carry faithfully and says where it is
 * (`result.rows[2].id is a BigInt`). Returns undefined when the value is safe to send.
 * JSON.stringify alone would throw on some of these and silently drop the others.
 */
export function findUnserializable(value: unknown): string | undefined {
  try {
    return visit(value, "result", new Set<object>());
  } catch (error) {
    // A getter or toJSON threw; `visit` names where when it can, this is the last resort.
    return `the result could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function visit(input: unknown, path: string, ancestors: Set<object>): string | undefined {
  let value = input;
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    try {
      value = (value as { toJSON: (key: string) => unknown }).toJSON("");
    } catch (error) {
      return `${path}.toJSON() threw: ${describeError(error)}`;
    }
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
    for (const key of Object.keys(value)) {
      const childPath = `${path}${formatKey(key)}`;
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[key];
      } catch (error) {
        return `${childPath} could not be read: its getter threw ${describeError(error)}`;
      }
      if (child === undefined) continue;
      const problem = visit(child, childPath, ancestors);
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

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
