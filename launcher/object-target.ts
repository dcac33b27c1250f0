import type { ObjectTarget } from "../shared/protocol.js";
import { UsageError } from "./usage-error.js";

const BINDING_RE = /^[A-Za-z_$][\w$]*$/;
const ID_RE = /^[0-9a-f]{64}$/i;

/**
 * Reads `--do <binding>:<name>` or `--do <binding>:id:<hex>`. The name is everything after the
 * first colon (it may hold colons itself); an id is 64 hex digits, as `id.toString()` gives it.
 */
export function parseObjectTarget(spec: string | ObjectTarget): ObjectTarget {
  if (typeof spec !== "string") return checkTarget(spec);
  const colon = spec.indexOf(":");
  if (colon === -1) {
    throw new UsageError(
      `--do takes <binding>:<name> or <binding>:id:<hex>, not ${JSON.stringify(spec)} (for example --do COUNTER:user-1).`,
    );
  }
  const binding = spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  return checkTarget(rest.startsWith("id:") ? { binding, id: rest.slice(3) } : { binding, name: rest });
}

function checkTarget(target: ObjectTarget): ObjectTarget {
  if (!BINDING_RE.test(target.binding)) {
    throw new UsageError(`--do: ${JSON.stringify(target.binding)} is not a binding name (the name of a Durable Object namespace in env, e.g. COUNTER).`);
  }
  if (target.id !== undefined && !ID_RE.test(target.id)) {
    throw new UsageError(
      `--do: ${JSON.stringify(target.id)} is not a Durable Object id: an id is 64 hex digits (what id.toString() gives). For an object by name, use ${target.binding}:<name>.`,
    );
  }
  if (target.name !== undefined && target.name === "") {
    throw new UsageError(`--do: the object's name is empty. Use ${target.binding}:<name> or ${target.binding}:id:<hex>.`);
  }
  return target;
}
