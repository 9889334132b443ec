/**
 * V8 heap sizing for socktop's long-running processes (the agent and the TUI),
 * applied from inside: both are started as `node cli.cjs` / `node cli.js` (or through npm's bin
 * link), where no node option can be passed without re-executing (a second
 * start-up).
 *
 * V8 doubles the young generation's semi-spaces whenever many objects survive
 * a scavenge, as they do while modules load and in bursts of requests, up to
 * 16 MiB each, and keeps them. For an idle agent, the TUI or an agent with a
 * few clients the extra young space is pure resident memory: bench suite 10
 * measured `--max-semi-space-size=1` as 4-8 MB less VmRSS at no CPU cost. That
 * option is read only when the heap is created, so setting it here has no
 * effect (measured: new space still 4 MiB after start-up); the growth factor
 * is read at each growth, so a factor of 1 keeps the semi-spaces at their
 * initial 1 MiB (measured: new space 2 MiB in all, as with the command-line
 * option).
 *
 * Under heavy fan-out the small young generation costs more than it saves:
 * at thousands of requests a second it fills in a few milliseconds, so V8
 * scavenges constantly and promotes short-lived reply objects to the old
 * generation. Measured with 2000 clients: factor 1 → p99 60 ms at 46.1 % of a
 * core; V8's factor 2 → p99 33.5 ms at 38.9 %. So a server with many clients
 * lets the young generation grow (`adaptToClients`), in two steps:
 *
 * - above BUSY_CLIENTS, one growth straight to BUSY_SEMI_SPACE_MIB, then held
 *   there. Left to V8's factor 2 the semi-spaces doubled whenever enough had
 *   survived since the last growth: with 200 clients the last doubling (8 →
 *   16 MiB) came after ~6 min, a 10 MiB step in VmRSS that a 10-min soak
 *   reads as a trend of 1.8 MiB/min. With 1000 clients, 8 MiB semi-spaces
 *   held VmRSS at 87.1 MB where V8's growth reached 95.8 MB (bench suite 5,
 *   one run after the other; agent CPU 13.8 % against 18.4 % of a core).
 *   Grown back to that size if V8 shrinks it meanwhile (see holdBusySize).
 * - above CROWDED_CLIENTS, V8's own factor (up to its 16 MiB): at 2000
 *   clients 8 MiB semi-spaces filled fast enough for a mark-compact every ~5 s
 *   (p99 34 ms against 26 ms with 16 MiB).
 *
 * Each level is left at half its threshold (a client count hovering around
 * it does not flip the flag on every connection); below the busy level the
 * semi-spaces keep the size they reached until V8 itself shrinks them.
 *
 * While the young generation is small, the main thread scavenges it alone
 * (`--no-parallel-scavenge`, read at each scavenge). V8 otherwise splits even
 * a 1 MiB semi-space into two tasks and wakes its worker threads for each
 * scavenge (strace: ~40 futex calls per scavenge, across 4 threads) for a
 * pause of 1-3 ms. On this project's 2-core machine, one watcher (metrics
 * every 500 ms, disks every 5 s), two agents side by side, two runs of 8
 * rounds of 20 s (2026-12-03, bench/ab-watcher.mjs): per-round ratio median
 * 0.955x (middle half 0.89-1.02x; the runs alone 0.93x and 1.00x). A small
 * gain within this machine's noise: one watcher makes V8 scavenge ~6 times a
 * minute, so thread wake-ups are a small part of its cost. Busy and crowded levels
 * keep V8's parallel scavenges: their semi-spaces are 8-16 MiB, and
 * a pause there is what the fan-out's p99 is made of.
 *
 * Import this module first in an entry point: ES modules run in import order.
 * An operator who passes any semi-space option (command line or NODE_OPTIONS)
 * gets V8's own behaviour with it, untouched, at any load; likewise with a
 * parallel-scavenge or single-threaded option for the scavenger's threads.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

const growthFactor = (factor: number): string => `--semi-space-growth-factor=${factor}`;
/** Held: the semi-spaces do not grow past the size they have. */
export const SEMI_SPACE_FLAG = growthFactor(1);
/** V8's own default growth factor, in force while crowded. */
export const CROWDED_SEMI_SPACE_FLAG = growthFactor(2);
/** The semi-space size held while busy. */
export const BUSY_SEMI_SPACE_MIB = 8;
/**
 * Connections above which the young generation takes its one growth, and
 * above which it may grow as V8 likes. 10 clients at the recommended rates
 * are ~27 requests/s: small. 200 are ~540, 2000 ~5400.
 */
export const BUSY_CLIENTS = 100;
export const CROWDED_CLIENTS = 1500;

export type YoungGenerationLevel = "small" | "busy" | "crowded";

/**
 * Whether the operator passed a V8 option containing `name` (command line or
 * NODE_OPTIONS): then it is theirs to set. Only options count: the text of a
 * `node -e` script is in execArgv too.
 */
export function operatorChose(name: string): boolean {
  const given = [...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)];
  return given.some((option) => option.startsWith("--") && option.includes(name));
}

/** The small level's scavenges: by the main thread alone. */
export const SMALL_SCAVENGE_FLAG = "--no-parallel-scavenge";
/** V8's own parallel scavenges, for the busy and crowded levels. */
export const PARALLEL_SCAVENGE_FLAG = "--parallel-scavenge";

const chosen = operatorChose("semi-space");
const scavengerChosen = operatorChose("parallel-scavenge") || operatorChose("single-threaded");
if (!chosen) setFlagsFromString(SEMI_SPACE_FLAG);
if (!scavengerChosen) setFlagsFromString(SMALL_SCAVENGE_FLAG);

let level: YoungGenerationLevel = "small";
// The global (not node:perf_hooks): nothing more is loaded at start-up for a watch most agents never start.
let growthWatch: InstanceType<typeof PerformanceObserver> | null = null;

/**
 * One semi-space's capacity in MiB: what it holds plus what it has free. Not
 * new_space's space_size, which counts the memory committed for both halves
 * and drops when V8 uncommits the idle half.
 */
function semiSpaceMiB(): number {
  const space = getHeapSpaceStatistics().find((candidate) => candidate.space_name === "new_space");
  return space === undefined ? 0 : (space.space_used_size + space.space_available_size) / 2 ** 20;
}

/**
 * The growth factor that takes semi-spaces of `semiSpaceMiB` to `targetMiB`
 * at their next growth: 1 (held) once they are near it. V8's sizes are powers
 * of two, each reported a little under (page headers).
 */
export function growthFactorTowards(semiSpaceMiB: number, targetMiB: number): number {
  if (semiSpaceMiB > 0.75 * targetMiB) return 1;
  return Math.max(2, Math.round(targetMiB / Math.max(semiSpaceMiB, 0.5)));
}

function stopGrowthWatch(): void {
  growthWatch?.disconnect();
  growthWatch = null;
}

/**
 * The busy level's young generation: grown to BUSY_SEMI_SPACE_MIB and held
 * there for as long as the level lasts. V8 multiplies the semi-spaces by the
 * growth factor at its next growth, which follows a scavenge; each garbage
 * collection's performance entry then tells whether the size is reached (the
 * factor goes back to 1) or was lost: V8 shrinks the young generation when it
 * judges the allocation rate low (its memory reducer's collection, or a
 * collection after a quiet spell), and with the factor at 1 it would never
 * grow again. Measured with 200 clients before this watch stayed on: the
 * memory reducer's collection ~2 min into a soak left the semi-spaces at 1 MiB
 * for good (a scavenge every 0.27 s instead of every 2.2 s), and VmRSS went
 * 75 → 63 → 80.5 MiB within the next 2 min as promotions refilled the old
 * generation (malloc heap 5.4 → 10.4 MiB: promoted buffers keep their native
 * memory until a mark-compact). With the watch the same soak held 73–75 MiB
 * for its first 6 min.
 */
function holdBusySize(): void {
  let factor = 1;
  const check = (): void => {
    const wanted = growthFactorTowards(semiSpaceMiB(), BUSY_SEMI_SPACE_MIB);
    if (wanted === factor) return;
    factor = wanted;
    setFlagsFromString(growthFactor(factor));
  };
  check();
  growthWatch = new PerformanceObserver(check);
  growthWatch.observe({ entryTypes: ["gc"] });
}

function levelFor(clients: number, current: YoungGenerationLevel): YoungGenerationLevel {
  if (clients > CROWDED_CLIENTS) return "crowded";
  if (current === "crowded" && clients > CROWDED_CLIENTS / 2) return "crowded";
  if (clients > BUSY_CLIENTS) return "busy";
  if (current !== "small" && clients > BUSY_CLIENTS / 2) return "busy";
  return "small";
}

/**
 * Call with the number of open connections whenever it changes. Returns the
 * young generation's level now in force.
 */
export function adaptToClients(clients: number): YoungGenerationLevel {
  if (chosen && scavengerChosen) return level;
  const next = levelFor(clients, level);
  if (next === level) return level;
  if (!chosen) {
    stopGrowthWatch();
    if (next === "crowded") setFlagsFromString(CROWDED_SEMI_SPACE_FLAG);
    else if (next === "busy") holdBusySize();
    else setFlagsFromString(SEMI_SPACE_FLAG);
  }
  if (!scavengerChosen) setFlagsFromString(next === "small" ? SMALL_SCAVENGE_FLAG : PARALLEL_SCAVENGE_FLAG);
  level = next;
  return level;
}
