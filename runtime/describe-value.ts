import type { DescribedValue } from "../shared/described-value.js";

/** How deep, and how many items of each collection, the console describes. */
const MAX_DEPTH = 6;
const MAX_ITEMS = 100;
const MAX_STRING = 10_000;
const MAX_BYTES = 64;

/**
 * Describes any value for the console's answer (see {@link DescribedValue}). Never throws:
 * a getter that throws, or a value of a kind it does not know, is described as what it is.
 */
export function describeValue(value: unknown): DescribedValue {
  const seen = new Map<object, number>();
  return describe(value, 0, seen);
}

function describe(value: unknown, depth: number, seen: Map<object, number>): DescribedValue {
  switch (typeof value) {
    case "string":
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length - MAX_STRING} more characters)` : value;
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { $: "number", value: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      return { $: "bigint", value: value.toString() };
    case "symbol":
      return { $: "symbol", description: value.description ?? "" };
    case "undefined":
      return { $: "undefined" };
    case "function":
      return { $: "function", name: value.name, isClass: /^class[\s{]/.test(Function.prototype.toString.call(value)) };
  }
  if (value === null) return null;
  const object = value as object;
  const known = seen.get(object);
  if (known !== undefined) return { $: "ref", id: known };
  const name = constructorName(object);
  if (depth >= MAX_DEPTH) return { $: "deep", name: name ?? "Object" };
  const id = seen.size + 1;
  seen.set(object, id);
  const inner = (item: unknown): DescribedValue => describe(item, depth + 1, seen);

  if (Array.isArray(object)) return { $: "array", id, items: object.slice(0, MAX_ITEMS).map(inner), more: Math.max(0, object.length - MAX_ITEMS) };
  if (object instanceof Map) {
    const entries = [...object].slice(0, MAX_ITEMS).map(([key, item]): [DescribedValue, DescribedValue] => [inner(key), inner(item)]);
    return { $: "map", id, entries, more: Math.max(0, object.size - MAX_ITEMS) };
  }
  if (object instanceof Set) return { $: "set", id, items: [...object].slice(0, MAX_ITEMS).map(inner), more: Math.max(0, object.size - MAX_ITEMS) };
  if (object instanceof Date) return { $: "date", value: Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString() };
  if (object instanceof RegExp) return { $: "regexp", source: object.source, flags: object.flags };
  if (object instanceof Error) {
    return { $: "error", id, name: object.name, message: object.message, ...(object.stack === undefined ? {} : { stack: object.stack }) };
  }
  if (object instanceof ArrayBuffer || ArrayBuffer.isView(object)) {
    const bytes = object instanceof ArrayBuffer ? new Uint8Array(object) : new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    return { $: "bytes", name: name ?? "ArrayBuffer", length: bytes.byteLength, bytes: [...bytes.subarray(0, MAX_BYTES)] };
  }
  const fields = builtInFields(object) ?? ownFields(object);
  const entries = fields.slice(0, MAX_ITEMS).map(([key, item]): [string, DescribedValue] => [key, inner(item)]);
  return { $: "object", id, name: name === "Object" ? null : name, entries, more: Math.max(0, fields.length - MAX_ITEMS) };
}

/** The fields that show a built-in whose state lives in getters, not own properties. */
function builtInFields(object: object): [string, unknown][] | undefined {
  if (object instanceof Response) {
    const { status, statusText, ok, url, redirected, bodyUsed, headers } = object;
    return Object.entries({ status, statusText, ok, url, redirected, bodyUsed, headers });
  }
  if (object instanceof Request) {
    const { method, url, headers, bodyUsed } = object;
    return Object.entries({ method, url, headers, bodyUsed });
  }
  if (object instanceof Headers) return [...object.entries()];
  if (object instanceof URL) return [["href", object.href]];
  return undefined;
}

function ownFields(object: object): [string, unknown][] {
  const fields: [string, unknown][] = [];
  for (const key of Object.keys(object)) {
    try {
      fields.push([key, (object as Record<string, unknown>)[key]]);
    } catch (error) {
      fields.push([key, error]);
    }
  }
  return fields;
}

function constructorName(object: object): string | null {
  try {
    const prototype = Object.getPrototypeOf(object) as { constructor?: { name?: unknown } } | null;
    if (prototype === null) return "[Object: null prototype]";
    const name = prototype.constructor?.name;
    return typeof name === "string" && name !== "" ? name : null;
  } catch {
    return null;
  }
}
