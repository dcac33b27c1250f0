import { createHash } from "node:crypto";
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Discovery records: how a launcher finds a `vite dev` of the same project that is already
 * running. One small JSON file per project (root + config file), in a directory only the
 * user can read; written atomically with mode 0600 by the server, removed by that server on
 * close, and read by the launcher as untrusted input: a forged or stale record must never
 * send a run, or the token, anywhere but the server that wrote it.
 */
export interface DiscoveryRecord {
  version: 1;
  pid: number;
  /** The server's loopback base URL, e.g. `http://127.0.0.1:5173/`. */
  url: string;
  token: string;
  root: string;
  configFile: string | null;
  /** The Vite mode the server runs in; a launcher only uses a server of its own mode. */
  mode: string;
  /** The Wrangler names of the server's workers, the entry worker first (`--list` shows them). */
  workers?: string[];
}

const MAX_RECORD_BYTES = 4096;
const LOOPBACK_URL_RE = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost):\d{1,5}\/$/;
const TOKEN_RE = /^[0-9a-f]{64}$/;
const WORKER_NAME_RE = /^[\w.-]{1,100}$/;
const MAX_WORKERS = 64;

/** `$XDG_RUNTIME_DIR/worker-run` or `<tmp>/worker-run-<uid>`. */
export function recordDirectory(): string {
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  return runtimeDir && path.isAbsolute(runtimeDir)
    ? path.join(runtimeDir, "worker-run")
    : path.join(os.tmpdir(), `worker-run-${process.getuid?.() ?? "user"}`);
}

/** The record's file for a project: the same root and config file give the same name. */
export function recordPath(root: string, configFile: string | undefined): string {
  const key = createHash("sha256")
    .update(JSON.stringify([root, configFile ?? null]))
    .digest("hex")
    .slice(0, 32);
  return path.join(recordDirectory(), `${key}.json`);
}

/** Creates {@link recordDirectory} if needed and checks that only this user can use it. */
export function privateDirectory(): string {
  const directory = recordDirectory();
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!isPrivate(directory, "directory")) {
    throw new Error(`${directory} is not a directory that only you can read; worker-run does not write there.`);
  }
  return directory;
}

/** Writes the record (temp file with mode 0600, then rename). Returns its path. */
export function writeRecord(record: DiscoveryRecord): string {
  privateDirectory();
  const file = recordPath(record.root, record.configFile ?? undefined);
  const temporary = `${file}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, "wx", 0o600);
  try {
    writeSync(descriptor, JSON.stringify(record));
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, file);
  return file;
}

/** Removes the record at `file` if it is still the one holding `token` (another server may have replaced it). */
export function removeRecord(file: string, token: string): void {
  if (readRecordFile(file)?.token === token) rmSync(file, { force: true });
}

/**
 * The record of a running server of this project, checked as untrusted input: no symlink,
 * owned by this user, no group/other permission bits, strict shape, loopback `http:` URL,
 * same project, and a live process. A record that fails only because its process is gone is
 * removed. The caller still confirms it with an authenticated request before use.
 */
export function readRecord(root: string, configFile: string | undefined, mode: string): DiscoveryRecord | undefined {
  const file = recordPath(root, configFile);
  if (!isPrivate(path.dirname(file), "directory")) return undefined;
  const record = readRecordFile(file);
  if (!record || record.root !== root || record.configFile !== (configFile ?? null) || record.mode !== mode) {
    return undefined;
  }
  if (!isAlive(record.pid)) {
    removeRecord(file, record.token);
    return undefined;
  }
  return record;
}

function readRecordFile(file: string): DiscoveryRecord | undefined {
  if (!isPrivate(file, "file")) return undefined;
  try {
    return parseRecord(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return undefined;
  }
}

/** Exactly the fields of a record, of the right types and forms; anything else is rejected. */
export function parseRecord(input: unknown): DiscoveryRecord | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const record = input as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => key !== "workers")
    .sort()
    .join(",");
  if (keys !== "configFile,mode,pid,root,token,url,version") return undefined;
  const { version, pid, url, token, root, configFile, mode, workers } = record;
  if (version !== 1) return undefined;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof url !== "string" || !LOOPBACK_URL_RE.test(url)) return undefined;
  if (typeof token !== "string" || !TOKEN_RE.test(token)) return undefined;
  if (typeof root !== "string" || !path.isAbsolute(root)) return undefined;
  if (configFile !== null && (typeof configFile !== "string" || !path.isAbsolute(configFile))) return undefined;
  if (typeof mode !== "string" || mode === "") return undefined;
  if (workers === undefined) return { version, pid, url, token, root, configFile, mode };
  if (!Array.isArray(workers) || workers.length > MAX_WORKERS) return undefined;
  if (!workers.every((name): name is string => typeof name === "string" && WORKER_NAME_RE.test(name))) return undefined;
  return { version, pid, url, token, root, configFile, mode, workers: [...workers] };
}

/** Not a symlink, of that kind, owned by this user, with no group or other permission bits. */
export function isPrivate(file: string, kind: "file" | "directory"): boolean {
  try {
    const stats = lstatSync(file);
    if (stats.isSymbolicLink()) return false;
    if (kind === "file" ? !stats.isFile() || stats.size > MAX_RECORD_BYTES : !stats.isDirectory()) return false;
    if (process.getuid && stats.uid !== process.getuid()) return false;
    return (stats.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Whether a process of this user with that pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone; EPERM: someone else's process, not our server.
  }
}
