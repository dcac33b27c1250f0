import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { descendantsOf } from "./processes.js";
import { postRun, type TestServer } from "./dev-server.js";

/** The line tests/fixtures/attack/src/scripts/marker.ts logs when it is imported. */
export const MARKER_LOG_LINE = "ATTACK-FIXTURE: marker.ts was imported";

/** The script whose import the attacks try to cause, and the one that reads its trace. */
export const MARKER_SCRIPT = "src/scripts/marker.ts";
export const READ_MARKER_SCRIPT = "src/scripts/read-marker.ts";

/** True once any captured server log line contains the marker's line. */
export function markerLogged(server: Pick<TestServer, "logs">): boolean {
  return server.logs.some((entry) => entry.message.includes(MARKER_LOG_LINE));
}

/**
 * Reads the marker through an authenticated run of read-marker.ts (which writes nothing):
 * null unless marker.ts was imported since the project's local state was created.
 */
export async function readMarker(server: Pick<TestServer, "url" | "token">): Promise<unknown> {
  const response = await postRun(server, { script: READ_MARKER_SCRIPT });
  const answer = JSON.parse(response.body) as { ok: boolean; result?: unknown };
  if (response.status !== 200 || !answer.ok) {
    throw new Error(`Expected read-marker.ts to run, got ${response.status}: ${response.body}`);
  }
  return answer.result;
}

/**
 * Every live process, anywhere on the machine, whose command line contains `text`: finds
 * processes that left our process tree (Chromium's crash handler reparents itself to init).
 */
export function processesMentioning(text: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      if (command.includes(text)) found.push({ pid, command });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** A TCP socket a process listens on. */
export interface ListeningSocket {
  pid: number;
  address: string;
  port: number;
}

/**
 * The TCP sockets that the `workerd` processes under `root` listen on, read from /proc:
 * the socket inodes a process holds (/proc/<pid>/fd) matched against the LISTEN entries
 * of /proc/<pid>/net/tcp and tcp6 (which list the whole network namespace).
 */
export function workerdListeningSockets(root: number): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const { pid } of descendantsOf(root).filter((info) => info.name === "workerd")) {
    const inodes = socketInodes(pid);
    for (const table of ["tcp", "tcp6"]) {
      for (const entry of listeningEntries(pid, table)) {
        if (inodes.has(entry.inode)) sockets.push({ pid, address: entry.address, port: entry.port });
      }
    }
  }
  return sockets;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

const TCP_LISTEN = "0A";

function listeningEntries(pid: number, table: string): { address: string; port: number; inode: string }[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
  } catch {
    return [];
  }
  // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …"
  return text
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === TCP_LISTEN)
    .map((fields) => {
      const [hexAddress, hexPort] = fields[1]!.split(":");
      return { address: decodeAddress(hexAddress!), port: Number.parseInt(hexPort!, 16), inode: fields[9]! };
    });
}

/** /proc/net/tcp addresses are hex, in host byte order per 32-bit word (little-endian here). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => Number.parseInt(byte, 16)));
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let index = 0; index < bytes.length; index += 2) {
    groups.push(((bytes[index]! << 8) | bytes[index + 1]!).toString(16));
  }
  return `[${groups.join(":")}]`;
}

/** What an attacker page told its own server. */
export interface AttackerServer {
  /** The page's origin, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The JSON bodies the page posted to /report, in order. */
  reports: unknown[];
  close(): Promise<void>;
}

/**
 * A stand-in for a web site the developer visits: serves `html` at `/` from another local
 * port, and records what the page posts back to `/report`.
 */
export async function startAttackerServer(html: string): Promise<AttackerServer> {
  const reports: unknown[] = [];
  const server = http.createServer((request, response) => {
    if (request.method === "GET" && request.url === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      response.end(html);
      return;
    }
    if (request.method === "POST" && request.url === "/report") {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        try {
          reports.push(JSON.parse(body));
        } catch {
          reports.push(body);
        }
        response.writeHead(204).end();
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
