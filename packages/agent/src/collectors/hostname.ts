/** The host's name, as the kernel reports it. */
import { hostname } from "node:os";
import { TtlCache } from "../cache.js";
import type { Collector } from "./collector.js";

export function readHostname(): string {
  return hostname();
}

/**
 * How long a looked-up host name is reused. Not for the process's lifetime:
 * the name does change under a running agent (set by DHCP or hostnamectl
 * after the agent started at boot), and a renamed host then shows its new
 * name within this long. Not at every request either: each lookup is a
 * uname(2) through os.hostname() (a call into the binding, an error context
 * object), twice a second per watcher, for a name that changes a few times
 * in a machine's life.
 */
export const HOSTNAME_TTL_MS = 10_000;

/** The hostname collector: {@link readHostname} reused for `ttlMs` (looked up when asked, never by a timer). */
export function hostnameCollector(ttlMs = HOSTNAME_TTL_MS, read: () => string = readHostname, now?: () => number): Collector<string> {
  const cache = new TtlCache(ttlMs, read, now);
  return { name: "hostname", collect: () => cache.get() };
}
