/**
 * V8 heap sizing for socktop's long-running processes (the agent and the TUI),
 * applied from inside: both are started as `node cli.js` (or through npm's bin
 * link), where no node option can be passed without re-executing (a second
 * start-up).
 *
 * V8 doubles the young generation's semi-spaces whenever many objects survive
 * a scavenge, as they do while modules load and in bursts of requests, up to
 * 16 MiB each, and keeps them. For these processes the extra young space is
 * pure resident memory: bench suite 10 measured `--max-semi-space-size=1` as
 * 4-8 MB less VmRSS at no CPU cost. That option is read only when the heap is
 * created, so setting it here has no effect (measured: new space still 4 MiB
 * after start-up); the growth factor is read at each growth, so a factor of 1
 * keeps the semi-spaces at their initial 1 MiB (measured: new space 2 MiB in
 * all, as with the command-line option).
 *
 * Import this module first in an entry point: ES modules run in import order.
 * An operator who passes any semi-space option (command line or NODE_OPTIONS)
 * gets V8's own behaviour with it, untouched.
 */
import { setFlagsFromString } from "node:v8";

export const SEMI_SPACE_FLAG = "--semi-space-growth-factor=1";

const chosen = [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].some((option) => option.includes("semi-space"));
if (!chosen) setFlagsFromString(SEMI_SPACE_FLAG);
