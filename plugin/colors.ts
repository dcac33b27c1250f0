import { styleText } from "node:util";

// The launcher's status lines go to stderr, so its colour support decides.
const enabled =
  process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0"
    ? true
    : !process.env.NO_COLOR && process.stderr.isTTY === true && process.stderr.hasColors();

type Style = Parameters<typeof styleText>[0];
const paint =
  (style: Style) =>
  (text: string): string =>
    enabled ? styleText(style, text) : text;

/** Terminal colours from `node:util`, on only when stderr supports them (NO_COLOR / FORCE_COLOR respected). */
export const colors = {
  green: paint("green"),
  red: paint("red"),
  dim: paint("dim"),
};
