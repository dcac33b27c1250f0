import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isAlive, recordPath } from "../common/discovery.js";

/**
 * Who starts the dev server when several launchers of one project start at the same moment
 * and none is running: the one that creates this lock file (next to the discovery record,
 * in the private directory). The others wait for its record and run there, since two
 * workerd processes on one state folder would not share Durable Object state.
 */
export interface StartLock {
  release(): void;
}

/** Takes the lock, or returns undefined when a live launcher holds it. A dead holder's lock is taken over. */
export function tryStartLock(root: string, configFile: string | undefined): StartLock | undefined {
  const file = lockPath(root, configFile);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      const release = (): void => {
        if (lockHolder(file) === process.pid) rmSync(file, { force: true });
      };
      process.once("exit", release);
      return {
        release: () => {
          process.off("exit", release);
          release();
        },
      };
    } catch {
      const holder = lockHolder(file);
      if (holder !== undefined && isAlive(holder)) return undefined;
      rmSync(file, { force: true }); // Its launcher is gone.
    }
  }
  return undefined;
}

function lockPath(root: string, configFile: string | undefined): string {
  return recordPath(root, configFile).replace(/\.json$/, ".lock");
}

function lockHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Marks this launcher as waiting for the lock holder's server, so that the holder keeps
 * its server up until the waiters have found it. Remove the mark once no longer waiting.
 */
export function markWaiting(root: string, configFile: string | undefined): { remove(): void } {
  const file = `${lockPath(root, configFile)}.wait-${process.pid}`;
  try {
    writeFileSync(file, String(process.pid), { mode: 0o600 });
  } catch {
    return { remove: () => {} }; // Then the holder may close early; this launcher starts its own.
  }
  const remove = (): void => rmSync(file, { force: true });
  process.once("exit", remove);
  return {
    remove: () => {
      process.off("exit", remove);
      remove();
    },
  };
}

/** How many live launchers are waiting for this project's server. Marks of dead ones are removed. */
export function countWaiting(root: string, configFile: string | undefined): number {
  const prefix = `${path.basename(lockPath(root, configFile))}.wait-`;
  const directory = path.dirname(lockPath(root, configFile));
  let waiting = 0;
  for (const name of safeReaddir(directory)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) waiting++;
    else rmSync(path.join(directory, name), { force: true });
  }
  return waiting;
}

function safeReaddir(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch {
    return [];
  }
}
