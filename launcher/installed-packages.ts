import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The `package.json` of a package as the project at `root` resolves it. Found on Node's
 * resolution paths rather than with `require.resolve`, which fails for ESM-only packages.
 */
export function findPackageManifest(root: string, name: string): string | undefined {
  const fromRoot = createRequire(path.join(root, "package.json"));
  return (fromRoot.resolve.paths(name) ?? [])
    .map((folder) => path.join(folder, name, "package.json"))
    .find((file) => existsSync(file));
}

/** The version of a package as installed for the project at `root`, if it is installed. */
export function installedVersion(root: string, name: string): string | undefined {
  const manifest = findPackageManifest(root, name);
  return manifest ? readVersion(manifest) : undefined;
}

/** This package's own version. The built modules lie directly in dist/, the sources one folder
 * down: from either, the manifest is one folder up. */
export function ownVersion(): string {
  return readVersion(fileURLToPath(new URL("../package.json", import.meta.url))) ?? "unknown";
}

function readVersion(manifest: string): string | undefined {
  try {
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown };
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}
