/**
 * V8 heap sizing for socktop's long-running processes (the agent and the TUI),
 * applied from inside: both are started as `node cli.js` (or through npm's bin
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
 * core; V8's factor 2 → p99 33.5 ms at 38.9 %, with the 1000-client peak
 * VmRSS within noise. So a server with many clients gives V8 its own factor
 * back (`adaptToClients`), and returns to 1 once the clients are few again.
 *
 * Import this module first in an entry point: ES modules run in import order.
 * An operator who passes any semi-space option (command line or NODE_OPTIONS)
 * gets V8's own behaviour with it, untouched, at any load.
 */
import { setFlagsFromString } from "node:v8";

export const SEMI_SPACE_FLAG = "--semi-space-growth-factor=1";
/** V8's own default growth factor, restored under load. */
export const BUSY_SEMI_SPACE_FLAG = "--semi-space-growth-factor=2";
/**
 * Above this many open connections the young generation may grow again; at or
 * below half of it, it is held small again (the gap keeps a client count that
 * hovers around the threshold from flipping the flag on every connection).
 * 10 clients at the recommended rates are ~27 requests/s: small. 200 are ~540.
 */
export const BUSY_CLIENTS = 100;

/** Whether the operator passed a V8 option containing `name` (command line or NODE_OPTIONS): then it is theirs to set. */
export function operatorChose(name: string): boolean {
  return [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].some((option) => option.includes(name));
}

const chosen = operatorChose("semi-space");
if (!chosen) setFlagsFromString(SEMI_SPACE_FLAG);

let busy = false;

/**
 * Call with the number of open connections whenever it changes. Returns true
 * while the young generation is allowed to grow (V8's factor is in force).
 */
export function adaptToClients(clients: number): boolean {
  if (chosen) return busy;
  if (!busy && clients > BUSY_CLIENTS) {
    busy = true;
    setFlagsFromString(BUSY_SEMI_SPACE_FLAG);
  } else if (busy && clients <= BUSY_CLIENTS / 2) {
    busy = false;
    setFlagsFromString(SEMI_SPACE_FLAG);
  }
  return busy;
}
