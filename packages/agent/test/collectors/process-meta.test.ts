/**
 * Owner and command line of process rows (process-meta.ts) as the scan keeps
 * them: read once for a settled process, again after an exec, and for a young
 * process again until it settles, but at most once per RECHECK_TICKS.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ProcessCollector } from "../../src/collectors/processes.js";
import { RECHECK_TICKS, SETTLE_TICKS } from "../../src/collectors/process-meta.js";
import { procTree, setClock, writeStat } from "../helpers/proc-tree.js";

describe("process rows' command lines", () => {
  it("a young process is read again at most once per RECHECK_TICKS until it settles; an exec is seen at once", async () => {
    const root = procTree();
    const pid = 700;
    const born = 5000; // the fixture's clock: uptime 50.00 s = tick 5000
    const cmdline = (text: string): void => writeFileSync(join(root, String(pid), "cmdline"), `${text.split(" ").join("\0")}\0`);
    writeStat(root, pid, { comm: "server", utime: 1, starttime: born });
    cmdline("server --port 1");
    const collector = new ProcessCollector({ procRoot: root, pageSize: 4096 });
    const command = async (ticks: number): Promise<string | undefined> => {
      setClock(root, 20000 + ticks, ticks / 100);
      return (await collector.collect()).find((p) => p.pid === pid)?.command;
    };
    assert.equal(await command(born), "server --port 1");
    // It rewrites its title right away: not read again within RECHECK_TICKS…
    cmdline("server: accepting connections");
    assert.equal(await command(born + RECHECK_TICKS - 1), "server --port 1");
    // …but once that much time has passed.
    assert.equal(await command(born + RECHECK_TICKS), "server: accepting connections");
    // An exec changes the name: read at once, whatever the time.
    writeStat(root, pid, { comm: "worker", utime: 1, starttime: born });
    cmdline("worker --id 3");
    assert.equal(await command(born + RECHECK_TICKS + 1), "worker --id 3");
    // Settled (old enough when read): kept from then on.
    cmdline("worker --id 4");
    assert.equal(await command(born + SETTLE_TICKS), "worker --id 4");
    cmdline("worker --id 5");
    assert.equal(await command(born + SETTLE_TICKS + 10 * RECHECK_TICKS), "worker --id 4");
  });
});
