/**
 * Gigabytes of piped input pass through to the script while memory stays flat: the peak RSS of
 * the launcher's process tree (cold: the launcher, its Vite server and workerd) and of the
 * `vite dev` it attaches to are the same, within a few tens of MiB, for 2 GiB as for 1 GiB.
 * A pipeline that kept what the worker has not read yet would hold most of the extra gigabyte
 * (Vite's process did, before the relay); one that kept something per chunk would grow with it
 * (workerd did, about 110 MiB a gigabyte, before the input's abort listener was made per read).
 * Slow (about a minute and a half); `npm run test:slow` runs it, and CI does.
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
 * How much more the 2 GiB run's peak may be than the 1 GiB run's. The first gigabyte brings the
 * processes to their working size (workerd's heap settles under a stream of garbage chunks);
 * the second must not add to it.
 */
const ALLOWED_GROWTH_BYTES = 64 * MIB;

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
    const small = await measure(GIB, ["--no-attach"]);
    const large = await measure(2 * GIB, ["--no-attach"]);
    expect(small.bytes).toBe(GIB);
    expect(large.bytes).toBe(2 * GIB);
    const growth = large.launcherPeak - small.launcherPeak;
    expect(growth, `peak ${mib(small.launcherPeak)} with 1 GiB, ${mib(large.launcherPeak)} with 2 GiB`).toBeLessThan(ALLOWED_GROWTH_BYTES);
  }, 400_000);

  test("attached to a running vite dev", async () => {
    const dev = await startViteDev(project.dir);
    try {
      const small = await measure(GIB, [], dev);
      const large = await measure(2 * GIB, [], dev);
      expect(large.bytes).toBe(2 * GIB);
      const serverGrowth = large.serverPeak! - small.serverPeak!;
      expect(serverGrowth, `vite dev peak ${mib(small.serverPeak!)} with 1 GiB, ${mib(large.serverPeak!)} with 2 GiB`).toBeLessThan(
        ALLOWED_GROWTH_BYTES,
      );
      const launcherGrowth = large.launcherPeak - small.launcherPeak;
      expect(launcherGrowth, `launcher peak ${mib(small.launcherPeak)}, ${mib(large.launcherPeak)}`).toBeLessThan(ALLOWED_GROWTH_BYTES);
    } finally {
      const stopped = await dev.stop();
      expect(stopped.survivors).toEqual([]);
    }
  }, 400_000);
});
