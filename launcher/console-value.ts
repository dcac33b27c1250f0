import type { DescribedValue } from "../shared/described-value.js";

/**
 * Rebuilds a value the worker described, as close to the original as Node can hold it, so that
 * `util.inspect` shows it as Node's REPL would have: real `Map`s, `Set`s, `BigInt`s and `Date`s,
 * instances of stand-in classes that carry the original class name, functions of the original
 * name, and the cycles themselves.
 */
export function reviveValue(described: DescribedValue): unknown {
  const objects = new Map<number, unknown>();
  const classes = new Map<string, new () => object>();

  const standIn = (name: string): object => {
    let Class = classes.get(name);
    if (!Class) {
      // A class whose name is the original's: util.inspect prints `Name { … }`.
      Class = { [name]: class {} }[name]!;
      classes.set(name, Class);
    }
    return new Class();
  };

  const revive = (value: DescribedValue): unknown => {
    if (value === null || typeof value !== "object") return value;
    switch (value.$) {
      case "undefined":
        return undefined;
      case "number":
        return value.value === "-0" ? -0 : Number(value.value);
      case "bigint":
        return BigInt(value.value);
      case "symbol":
        return Symbol(value.description);
      case "function":
        return value.isClass ? { [value.name]: class {} }[value.name] : { [value.name]: function () {} }[value.name];
      case "date":
        return new Date(value.value === "Invalid Date" ? Number.NaN : value.value);
      case "regexp":
        return new RegExp(value.source, value.flags);
      case "bytes":
        return value.name === "ArrayBuffer" ? Uint8Array.from(value.bytes).buffer : Object.assign(Uint8Array.from(value.bytes), value.length > value.bytes.length ? { [`… ${value.length - value.bytes.length} more bytes`]: true } : {});
      case "ref":
        return objects.get(value.id);
      case "deep":
        return standIn(`[${value.name}]`);
      case "error": {
        const error = new Error(value.message);
        error.name = value.name;
        error.stack = value.stack ?? `${value.name}: ${value.message}`;
        objects.set(value.id, error);
        return error;
      }
      case "array": {
        const array: unknown[] = [];
        objects.set(value.id, array);
        for (const item of value.items) array.push(revive(item));
        if (value.more) array.push(`… ${value.more} more items`);
        return array;
      }
      case "map": {
        const map = new Map<unknown, unknown>();
        objects.set(value.id, map);
        for (const [key, item] of value.entries) map.set(revive(key), revive(item));
        if (value.more) map.set("…", `${value.more} more entries`);
        return map;
      }
      case "set": {
        const set = new Set<unknown>();
        objects.set(value.id, set);
        for (const item of value.items) set.add(revive(item));
        if (value.more) set.add(`… ${value.more} more items`);
        return set;
      }
      case "object": {
        const object: Record<string, unknown> = value.name === null ? {} : (standIn(value.name) as Record<string, unknown>);
        objects.set(value.id, object);
        for (const [key, item] of value.entries) object[key] = revive(item);
        if (value.more) object["…"] = `${value.more} more fields`;
        return object;
      }
    }
  };
  return revive(described);
}
