/**
 * A gigabyte of piped input passes through to the script while memory stays flat: the peak RSS
 * of the launcher's process tree (cold: the launcher, its Vite server and workerd) and of the
 * `vite dev` it attaches to stay within a bound of the same run with a megabyte of input. A
 * pipeline that buffered what the worker has not read yet would hold most of the gigabyte.
 * Slow (about a minute); `npm run test:slow` runs it, and CI does.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectExit } from "../helpers/cli-assertions.js";
import { observeCli } from "../helpers/cli-bounded.js";
import { FIXTURES_DIR } from "../helpers/paths.js";
import { sampleTreeRss } from "../helpers/processes.js";
import { copyProject, type TempProject } from "../helpers/temp-project.js";
import { startViteDev, type ViteDevProcess } from "../helpers/vite-dev-process.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/**
 * How much more the large run's peak may be than the small run's. A pipeline that kept what the
 * worker has not read yet would hold most of the gigabyte (it did: +1 GiB in Vite's process
 * before the relay). What remains is workerd's heap settling under a gigabyte of garbage chunks:
 * measured here +110 to +200 MiB for 1 GiB, and about as much again for the second gigabyte.
 */
const ALLOWED_GROWTH_BYTES = 384 * MIB;

let project: TempProject;

beforeAll(async () => {
  project = await copyProject(path.join(FIXTURES_DIR, "input"));
});

afterAll(async () => {
  await project?.remove();
});

/** `total` bytes of random data, made of one random mebibyte sent again and again. */
function generated(total: number): Readable {
  const block = randomBytes(MIB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const chunk = block.subarray(0, Math.min(MIB, total - sent));
      sent += chunk.byteLength;
      this.push(chunk);
    },
  });
}

interface Measured {
  bytes: unknown;
  launcherPeak: number;
  serverPeak: number | undefined;
}

/** Runs count-bytes with `total` bytes piped in, sampling the launcher's tree (and the server's). */
async function measure(total: number, args: string[], server?: ViteDevProcess): Promise<Measured> {
  const serverSampler = server ? sampleTreeRss(server.pid) : undefined;
  let launcherSampler: ReturnType<typeof sampleTreeRss> | undefined;
  const { result } = await observeCli([...args, "--json", "count-bytes"], {
    cwd: project.dir,
    input: generated(total),
    limitMs: 240_000,
    during: async (running) => {
      launcherSampler = sampleTreeRss(running.pid);
    },
  });
  const launcherPeak = launcherSampler!.stop().bytes;
  const serverPeak = serverSampler?.stop().bytes;
  expectExit(result, 0);
  return { bytes: (JSON.parse(result.stdout) as { result: { bytes: unknown } }).result.bytes, launcherPeak, serverPeak };
}

const mib = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MiB`;

describe("a gigabyte of input, memory flat", () => {
  test("in a server the launcher starts", async () => {
    const small = await measure(MIB, ["--no-attach"]);
    const large = await measure(GIB, ["--no-attach"]);
    expect(small.bytes).toBe(MIB);
    expect(large.bytes).toBe(GIB);
    const growth = large.launcherPeak - small.launcherPeak;
    expect(growth, `peak ${mib(small.launcherPeak)} with 1 MiB, ${mib(large.launcherPeak)} with 1 GiB`).toBeLessThan(ALLOWED_GROWTH_BYTES);
  }, 300_000);

  test("attached to a running vite dev", async () => {
    const dev = await startViteDev(project.dir);
    try {
      const small = await measure(MIB, [], dev);
      const large = await measure(GIB, [], dev);
      expect(large.bytes).toBe(GIB);
      const serverGrowth = large.serverPeak! - small.serverPeak!;
      expect(serverGrowth, `vite dev peak ${mib(small.serverPeak!)} with 1 MiB, ${mib(large.serverPeak!)} with 1 GiB`).toBeLessThan(
        ALLOWED_GROWTH_BYTES,
      );
      const launcherGrowth = large.launcherPeak - small.launcherPeak;
      expect(launcherGrowth, `launcher peak ${mib(small.launcherPeak)}, ${mib(large.launcherPeak)}`).toBeLessThan(ALLOWED_GROWTH_BYTES);
    } finally {
      const stopped = await dev.stop();
      expect(stopped.survivors).toEqual([]);
    }
  }, 300_000);
});
