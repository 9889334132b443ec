/**
 * Monotonic milliseconds for TTLs and rates. Not performance.now(): the first
 * use of the `performance` global loads Node's perf_hooks modules (~3 ms of
 * start-up and their memory for the life of the agent), which nothing else
 * in the agent needs.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
