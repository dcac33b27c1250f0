import path from "node:path";
import { SCRIPT_FOLDERS, scriptFilesIn } from "../common/script-folders.js";

/**
 * The existing script whose path (as the user would type it, from `cwd`) is closest to
 * what they typed, if one is close enough to be a likely typo. For "not found" messages.
 */
export function suggestScript(root: string, cwd: string, typed: string): string | undefined {
  const folders = new Set([path.dirname(path.resolve(cwd, typed)), ...SCRIPT_FOLDERS.map((folder) => path.join(root, folder))]);
  const typedName = path.basename(typed);
  let best: { candidate: string; distance: number } | undefined;
  for (const folder of folders) {
    for (const file of scriptFilesIn(folder)) {
      const candidate = path.relative(cwd, path.join(folder, file)).split(path.sep).join("/");
      // A likely typo: a few edits of the whole path, or of the file name alone (the right
      // name in another folder).
      const bare = path.extname(typedName) === "" ? editDistance(typedName, file.slice(0, -path.extname(file).length)) * 2 : Infinity;
      const distance = Math.min(editDistance(typed, candidate), editDistance(typedName, file) * 2, bare);
      if (!best || distance < best.distance) best = { candidate, distance };
    }
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(typed.length / 4)) ? best.candidate : undefined;
}

/** Levenshtein distance, two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
