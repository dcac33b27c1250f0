import { fstatSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { UsageError } from "./usage-error.js";

/** What `runScript({ input })` takes: a stream (web or Node), a string (sent as UTF-8) or bytes. */
export type RunInputSource = ReadableStream<Uint8Array> | NodeJS.ReadableStream | string | Uint8Array;

/** The input as the launcher sends it: a Node stream it can pipe into the request. */
export function toReadable(source: RunInputSource): Readable {
  if (typeof source === "string") return Readable.from([Buffer.from(source, "utf8")]);
  if (source instanceof Uint8Array) return Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]);
  if (source instanceof Readable) return source;
  if ("getReader" in source) return Readable.fromWeb(source as WebReadableStream<Uint8Array>);
  return new Readable().wrap(source);
}

/**
 * `--input FILE`, opened now, so that a missing or unreadable file is a usage error before any
 * dev server starts. It is data, not code: any path is fine, inside the project or not.
 */
export async function openInputFile(file: string, cwd: string): Promise<Readable> {
  const absolute = path.resolve(cwd, file);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(absolute, "r");
  } catch (error) {
    throw new UsageError(`Cannot read the input file ${JSON.stringify(file)} (${absolute}): ${reasonOf(error)}. Pass --input a file you can read, or pipe the data in.`);
  }
  const stats = await handle.stat();
  if (stats.isDirectory()) {
    await handle.close();
    throw new UsageError(`Cannot read the input file ${JSON.stringify(file)} (${absolute}): it is a directory. Pass --input a file, or pipe the data in.`);
  }
  return handle.createReadStream();
}

/**
 * The process's stdin when something is piped or redirected into it (a pipe, a file, a
 * socket); undefined for a terminal, `/dev/null` or a closed stdin, which carry no input.
 */
export function pipedStdin(): Readable | undefined {
  try {
    const stats = fstatSync(0);
    return stats.isFIFO() || stats.isFile() || stats.isSocket() ? process.stdin : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}
