/** The launcher's options, as `node:util` `parseArgs` reads them; `--migrate` takes a few of them. */
export const CLI_OPTIONS = {
  config: { type: "string" },
  mode: { type: "string" },
  root: { type: "string" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  "no-attach": { type: "boolean" },
  list: { type: "boolean" },
  console: { type: "boolean" },
  init: { type: "boolean" },
  eval: { type: "string", short: "e" },
  timeout: { type: "string" },
  worker: { type: "string" },
  do: { type: "string" },
  input: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;
