import type { EntryOptions } from "../shared/protocol.js";

export interface VirtualEntryInput {
  /** The resolved id of the user's worker entry. */
  userEntryId: string;
  /** The id of the runtime module (`runtime/wrap-entry.ts`, built). */
  runtimeModule: string;
  /**
   * Exports that are Durable Object classes (the Wrangler configs bind them): each is wrapped
   * so that `--do` runs can enter its instances. Names that are not identifiers are skipped.
   */
  objectClasses?: readonly string[];
  /** Data for the wrapper and the dispatcher; interpolated as JSON. */
  options: EntryOptions;
}

const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;

/**
 * The code of the virtual module that stands in for the user's entry: re-export
 * everything (entrypoints, workflows stay as they are), wrap the default export, and wrap
 * the Durable Object classes (a module's own export wins over the same name from
 * `export *`; a class the entry does not export stays undefined, as it was). Only data is
 * interpolated, through JSON.stringify, and identifiers checked against a pattern.
 */
export function createVirtualEntry({ userEntryId, runtimeModule, objectClasses = [], options }: VirtualEntryInput): string {
  const entry = JSON.stringify(userEntryId);
  const classes = objectClasses.filter((name) => IDENTIFIER_RE.test(name) && name !== "default");
  const data = JSON.stringify(options);
  const lines = [
    `import * as userEntry from ${entry};`,
    `import { wrapDefaultExport${classes.length ? ", wrapDurableObjectClass" : ""} } from ${JSON.stringify(runtimeModule)};`,
    `export * from ${entry};`,
    `export default wrapDefaultExport(userEntry.default, ${data});`,
    ...classes.map((name) => `export const ${name} = wrapDurableObjectClass(userEntry.${name}, ${JSON.stringify(name)}, ${data});`),
    "",
  ];
  return lines.join("\n");
}
