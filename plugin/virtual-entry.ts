import type { EntryOptions } from "../shared/protocol.js";

export interface VirtualEntryInput {
  /** The resolved id of the user's worker entry. */
  userEntryId: string;
  /** Absolute path of `runtime/wrap-entry.js`. */
  wrapEntryModule: string;
  /** Data for the wrapper and the dispatcher; interpolated as JSON. */
  options: EntryOptions;
}

/**
 * The code of the virtual module that stands in for the user's entry: re-export
 * everything (Durable Objects, entrypoints, workflows stay as they are) and wrap the
 * default export. Only data is interpolated, through JSON.stringify.
 */
export function createVirtualEntry({ userEntryId, wrapEntryModule, options }: VirtualEntryInput): string {
  const entry = JSON.stringify(userEntryId);
  return [
    `import * as userEntry from ${entry};`,
    `import { wrapDefaultExport } from ${JSON.stringify(wrapEntryModule)};`,
    `export * from ${entry};`,
    `export default wrapDefaultExport(userEntry.default, ${JSON.stringify(options)});`,
    "",
  ].join("\n");
}
