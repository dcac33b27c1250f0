import MagicString from "magic-string";
import { CONSOLE_REGISTRY_KEY } from "../shared/protocol.js";

/**
 * Gives one run's instance of a script module its own `console` (see CONSOLE_REGISTRY_KEY),
 * by prepending one declaration to the first line, so line numbers stay as they are; the
 * source map covers the shifted columns of that line.
 */
export function injectRunConsole(code: string, id: string, nonce: string): { code: string; map: ReturnType<MagicString["generateMap"]> } {
  const lookup = `globalThis[Symbol.for(${JSON.stringify(CONSOLE_REGISTRY_KEY)})]`;
  const source = new MagicString(code);
  source.prepend(`const console = ${lookup}?.(${JSON.stringify(nonce)}) ?? globalThis.console;`);
  return { code: source.toString(), map: source.generateMap({ hires: "boundary", source: id, includeContent: true }) };
}
