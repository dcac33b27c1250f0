/**
 * A value of any kind as the console's answer carries it: JSON with a tag on everything JSON
 * cannot say by itself, so that the launcher can rebuild it and show it as Node's REPL shows
 * values (a `Map`, a `BigInt`, a class instance by its class name, a `Response`, a cycle).
 * Objects carry an `id` that a later `ref` names, so cycles and shared parts stay what they are.
 */
export type DescribedValue =
  | string
  | boolean
  | number
  | null
  | { $: "undefined" }
  /** NaN, Infinity, -Infinity, -0: numbers JSON has no words for. */
  | { $: "number"; value: string }
  | { $: "bigint"; value: string }
  | { $: "symbol"; description: string }
  | { $: "function"; name: string; isClass: boolean }
  | { $: "date"; value: string }
  | { $: "regexp"; source: string; flags: string }
  | { $: "error"; id: number; name: string; message: string; stack?: string }
  | { $: "bytes"; name: string; length: number; bytes: number[] }
  | { $: "array"; id: number; items: DescribedValue[]; more: number }
  | { $: "map"; id: number; entries: [DescribedValue, DescribedValue][]; more: number }
  | { $: "set"; id: number; items: DescribedValue[]; more: number }
  /** A plain object (`name` null) or an instance of a class, with its own enumerable fields. */
  | { $: "object"; id: number; name: string | null; entries: [string, DescribedValue][]; more: number }
  /** An object already described above (a cycle, or a part shared by two places). */
  | { $: "ref"; id: number }
  /** An object deeper than the console describes. */
  | { $: "deep"; name: string };

/** What one console entry answers when it finishes. */
export interface ConsoleResult {
  value: DescribedValue;
  /** The names the session has declared so far, for Tab completion. */
  names: string[];
  /** The names of the worker's bindings (`env`), for Tab completion. */
  bindings: string[];
}
